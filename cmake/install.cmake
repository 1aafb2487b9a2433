# install.cmake: what `cmake --install` puts where (GNUInstallDirs): the CLI, libvmcarve
# (shared with its dev symlink, and static), include/vmcarve.h and vmcarve.pc for pkg-config.
install(TARGETS vmcarve RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS vmcarve_shared vmcarve_static
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# vmcarve.pc: the static library's dependencies are the ones the layers link
set(VMC_PC_REQUIRES_PRIVATE "libdw libelf zlib lzo2 snappy libzstd libxxhash")
# relocatable: the prefix is found from where the .pc file lies (cmake --install --prefix, DESTDIR)
file(RELATIVE_PATH VMC_PC_UP ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" VMC_PC_UP "${VMC_PC_UP}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/vmcarve.pc.in ${PROJECT_BINARY_DIR}/vmcarve.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vmcarve.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
