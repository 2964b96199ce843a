# Install rules: the C library for native code (issue #6) and the parts of it
# the Python wheel bundles. Included from the top-level CMakeLists.txt after
# the targets fastsoftmax (shared) and fastsoftmax_static are defined.
#
# Components
#   runtime      libfastsoftmax.so.X.Y.Z and its SONAME link
#   development  header, static archive, libfastsoftmax.so namelink, CMake
#                package (config, version, targets) and fastsoftmax.pc
#   python       the pybind11 module fastsoftmax/_core (wheel only)
#   python_clib  the shared library and header inside the package,
#                fastsoftmax/lib/ and fastsoftmax/include/ (wheel only), for
#                fastsoftmax.get_library()/get_include() and --cflags/--libs
include(CMakePackageConfigHelpers)

set(FSM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/fastsoftmax)

install(TARGETS fastsoftmax fastsoftmax_static
  EXPORT fastsoftmaxTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(FILES csrc/include/fastsoftmax.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development)

# CMake package. Relocatable: every path is relative to the config file.
install(EXPORT fastsoftmaxTargets
  NAMESPACE fastsoftmax::
  DESTINATION ${FSM_CMAKE_DIR} COMPONENT development)
configure_package_config_file(cmake/fastsoftmaxConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/fastsoftmaxConfig.cmake
  INSTALL_DESTINATION ${FSM_CMAKE_DIR})
# Same rule as the SONAME: 0.y releases may break the ABI between minors.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_fsm_compat SameMinorVersion)
else()
  set(_fsm_compat SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/fastsoftmaxConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${_fsm_compat})
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/fastsoftmaxConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/fastsoftmaxConfigVersion.cmake
  DESTINATION ${FSM_CMAKE_DIR} COMPONENT development)

# pkg-config. Relocatable too (`cmake --install --prefix P` changes the
# prefix after configure): the prefix is found from the .pc file's own
# directory, unless the libdir was given as an absolute path.
set(FSM_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(FSM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(FSM_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
else()
  file(RELATIVE_PATH _fsm_pc_up "/fsm-prefix/${FSM_PC_DIR}" "/fsm-prefix")
  string(REGEX REPLACE "/$" "" _fsm_pc_up "${_fsm_pc_up}")
  set(FSM_PC_PREFIX "\${pcfiledir}/${_fsm_pc_up}")
  set(FSM_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(FSM_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(FSM_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(cmake/fastsoftmax.pc.in ${CMAKE_CURRENT_BINARY_DIR}/fastsoftmax.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/fastsoftmax.pc
  DESTINATION ${FSM_PC_DIR} COMPONENT development)

# Inside the wheel: one real file named after the SONAME (wheels cannot hold
# symlinks), so binaries linked against it by path find it at run time
# through an rpath to fastsoftmax/lib.
if(FASTSOFTMAX_PYTHON)
  if(WIN32)
    install(TARGETS fastsoftmax RUNTIME DESTINATION fastsoftmax/lib COMPONENT python_clib)
  else()
    install(FILES $<TARGET_FILE:fastsoftmax> DESTINATION fastsoftmax/lib
      RENAME $<TARGET_SONAME_FILE_NAME:fastsoftmax> COMPONENT python_clib)
  endif()
  install(FILES csrc/include/fastsoftmax.h DESTINATION fastsoftmax/include COMPONENT python_clib)
endif()
