# `cmake --install`: the CLI, the public headers (include/extrace/), the
# libraries an engine links, and a CMake package so that an engine's build says
# only `find_package(extrace REQUIRED)` and links `extrace::extrace` (recorder
# and projector) or `extrace::recorder` (recording only).
include(CMakePackageConfigHelpers)

set(EXTRACE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/extrace)

# The exported names: extrace::extrace, extrace::recorder, and what they stand on.
set_target_properties(extrace_public PROPERTIES EXPORT_NAME headers)
set_target_properties(extrace_format PROPERTIES EXPORT_NAME format)
set_target_properties(extrace_storage PROPERTIES EXPORT_NAME storage)
set_target_properties(extrace_recorder PROPERTIES EXPORT_NAME recorder)
set_target_properties(extrace_query PROPERTIES EXPORT_NAME query)
set_target_properties(extrace PROPERTIES EXPORT_NAME extrace)

install(TARGETS extrace_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS extrace extrace_public extrace_format extrace_storage extrace_recorder extrace_query
  EXPORT extraceTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/extrace DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(EXPORT extraceTargets NAMESPACE extrace:: DESTINATION ${EXTRACE_CMAKE_DIR})

configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/extraceConfig.cmake.in
  ${CMAKE_BINARY_DIR}/extraceConfig.cmake INSTALL_DESTINATION ${EXTRACE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/extraceConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/extraceConfig.cmake ${CMAKE_BINARY_DIR}/extraceConfigVersion.cmake
  DESTINATION ${EXTRACE_CMAKE_DIR})
