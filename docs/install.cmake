# docs/install.cmake: install the man pages, vmcarve(1) and libvmcarve(3), under the GNU man
# directory (included OPTIONAL from the top, so scratch copies of the sources without docs/ build).
include(GNUInstallDirs)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/man/vmcarve.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/man/libvmcarve.3 DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
