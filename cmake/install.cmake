# What `cmake --install build [--prefix P]` installs (GNUInstallDirs; DESTDIR honoured):
#
#   bin/isactb                                   the command
#   <libdir>/libisactb.so.0 (+ .so), libisactb.a the library: processing core, captures,
#                                                radio layer, calibration, experiments
#   include/isactb/<module>/*.h                  its public headers (below)
#   <libdir>/pkgconfig/isactb.pc                 pkg-config (Requires.private/Libs.private:
#                                                what the static library needs)
#   <libdir>/cmake/isactb/                       find_package(isactb) -> isactb::isactb
#                                                (shared), isactb::isactb_static
#   <libdir>/SoapySDR/modules<ABI>/libisacsimSupport.so   (radio/frontends.cmake)
#   share/man/man1/*.1                           man pages, when the build made them
#   share/doc/isactb/                            README and docs/
#
# Included at the end of the top-level CMakeLists.txt; everything is relative to
# PROJECT_SOURCE_DIR / PROJECT_BINARY_DIR so that isactb also works under a parent
# project's add_subdirectory() (there the alias isactb::isactb links the build tree's
# libraries with the same include directories).

include(CMakePackageConfigHelpers)

# The parts of the installed library, in dependency order. The command and the tests keep
# linking the parts themselves; libisactb.so/.a are built from the same object files.
set(ISACTB_LIB_PARTS isactb_core isactb_capture)
foreach(_part isactb_radio isactb_calib isactb_engine)
  if(TARGET ${_part})
    list(APPEND ISACTB_LIB_PARTS ${_part})
  endif()
endforeach()
foreach(_part ${ISACTB_LIB_PARTS})
  # Position-independent so one compilation serves the shared library too; without
  # semantic interposition the compiler still inlines within a file as for -fPIE.
  set_property(TARGET ${_part} PROPERTY POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${_part} PRIVATE -fno-semantic-interposition)
endforeach()

# The headers a user of the library includes, installed under include/isactb/ with the
# layout the sources use: host/<module>/x.h -> <module>/x.h, capture/*.h and radio/*.h
# both flat (they include each other as "sigmf.h", "radio.h") and under their folder
# name, calib/*.h -> calib/. Left out: the command's, the live view's and the transport's
# headers (not in the library), and files private to one part (*_internal.h, the UHD
# back end's helpers).
set(ISACTB_PUBLIC_MODULES array bench comm common detect dsp engine frontend learn ma plan
  policy track vehicular)
set(ISACTB_INCLUDE_SUBDIR ${CMAKE_INSTALL_INCLUDEDIR}/isactb)
foreach(_m ${ISACTB_PUBLIC_MODULES})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/host/${_m}/ DESTINATION ${ISACTB_INCLUDE_SUBDIR}/${_m}
    COMPONENT dev FILES_MATCHING PATTERN "*.h" PATTERN "*_internal.h" EXCLUDE)
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/capture/ DESTINATION ${ISACTB_INCLUDE_SUBDIR}/capture
  COMPONENT dev FILES_MATCHING PATTERN "*.h" PATTERN "*_internal.h" EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/radio/ DESTINATION ${ISACTB_INCLUDE_SUBDIR}/radio
  COMPONENT dev FILES_MATCHING PATTERN "*.h" PATTERN "radio_uhd_*.h" EXCLUDE PATTERN "*_internal.h" EXCLUDE
  PATTERN "soapy_isacsim" EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/calib/ DESTINATION ${ISACTB_INCLUDE_SUBDIR}/calib
  COMPONENT dev FILES_MATCHING PATTERN "*.h")
# Include directories of a user: the module root plus the two flat folders.
set(ISACTB_INSTALL_INCLUDE_DIRS ${ISACTB_INCLUDE_SUBDIR} ${ISACTB_INCLUDE_SUBDIR}/capture
  ${ISACTB_INCLUDE_SUBDIR}/radio)

# What the library's objects call, for the shared library's link and the static one's
# usage requirements (pkg-config module names for isactb.pc alongside).
set(_isactb_deps PkgConfig::FFTW3F PkgConfig::GSL PkgConfig::JANSSON PkgConfig::OPENBLAS
  PkgConfig::LAPACKE PkgConfig::CYAML PkgConfig::PLPLOT OpenSSL::Crypto ${LIQUID_LIBRARY})
set(ISACTB_PC_REQUIRES "jansson libcyaml")
set(ISACTB_PC_REQUIRES_PRIVATE "fftw3f gsl openblas lapacke plplot libcrypto")
set(ISACTB_PC_LIBS_PRIVATE "-lliquid")
set(ISACTB_CONFIG_PKG_MODULES "FFTW3F=fftw3f GSL=gsl JANSSON=jansson OPENBLAS=openblas LAPACKE=lapacke CYAML=libcyaml PLPLOT=plplot")
if(TARGET PkgConfig::SOAPY)
  list(APPEND _isactb_deps PkgConfig::SOAPY)
  string(APPEND ISACTB_PC_REQUIRES_PRIVATE " SoapySDR")
  string(APPEND ISACTB_CONFIG_PKG_MODULES " SOAPY=SoapySDR")
endif()
if(ISACTB_UHD_LIBRARY)
  # only libuhd (uhd.pc also names boost libraries the C API does not need)
  list(APPEND _isactb_deps ${ISACTB_UHD_LIBRARY})
  string(APPEND ISACTB_PC_LIBS_PRIVATE " -luhd")
endif()
list(APPEND _isactb_deps Threads::Threads m)
string(APPEND ISACTB_PC_LIBS_PRIVATE " -lpthread -lm")

set(_isactb_objects "")
foreach(_part ${ISACTB_LIB_PARTS})
  list(APPEND _isactb_objects $<TARGET_OBJECTS:${_part}>)
endforeach()

# libisactb.so: every part's objects in one shared object, complete (--no-undefined).
add_library(isactb_shared SHARED ${_isactb_objects})
add_dependencies(isactb_shared ${ISACTB_LIB_PARTS})
set_target_properties(isactb_shared PROPERTIES OUTPUT_NAME isactb EXPORT_NAME isactb
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR} LINKER_LANGUAGE C)
target_link_libraries(isactb_shared PRIVATE ${_isactb_deps})
target_link_options(isactb_shared PRIVATE -Wl,--no-undefined)

# libisactb.a: the same objects in one archive.
add_library(isactb_static STATIC ${_isactb_objects})
add_dependencies(isactb_static ${ISACTB_LIB_PARTS})
set_target_properties(isactb_static PROPERTIES OUTPUT_NAME isactb EXPORT_NAME isactb_static
  LINKER_LANGUAGE C)
target_link_libraries(isactb_static PRIVATE ${_isactb_deps})

foreach(_t isactb_shared isactb_static)
  foreach(_d ${ISACTB_INSTALL_INCLUDE_DIRS})
    target_include_directories(${_t} INTERFACE $<INSTALL_INTERFACE:${_d}>)
  endforeach()
  target_include_directories(${_t} INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/host;${PROJECT_SOURCE_DIR}/capture;${PROJECT_SOURCE_DIR}/radio;${PROJECT_SOURCE_DIR}>)
  # the public headers include <jansson.h> and <cyaml/cyaml.h>
  target_link_libraries(${_t} INTERFACE $<BUILD_INTERFACE:PkgConfig::JANSSON>
    $<BUILD_INTERFACE:PkgConfig::CYAML>)
endforeach()

# Under a parent's add_subdirectory(): isactb::isactb is the build tree's parts (static,
# with their usage requirements), so the parent's code compiles as against the package.
add_library(isactb_subproject INTERFACE)
target_link_libraries(isactb_subproject INTERFACE ${ISACTB_LIB_PARTS})
add_library(isactb::isactb ALIAS isactb_subproject)

install(TARGETS isactb RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bin)
install(TARGETS isactb_shared isactb_static EXPORT isactbTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# isactb.pc: relocatable (prefix from the file's own place, so --prefix and DESTDIR need
# nothing at install time).
file(RELATIVE_PATH ISACTB_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" ISACTB_PC_TO_PREFIX "${ISACTB_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/isactb.pc.in ${PROJECT_BINARY_DIR}/isactb.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/isactb.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CMake package.
set(ISACTB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/isactb)
install(EXPORT isactbTargets NAMESPACE isactb:: DESTINATION ${ISACTB_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/isactbConfig.cmake.in
  ${PROJECT_BINARY_DIR}/isactbConfig.cmake INSTALL_DESTINATION ${ISACTB_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/isactbConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/isactbConfig.cmake
  ${PROJECT_BINARY_DIR}/isactbConfigVersion.cmake DESTINATION ${ISACTB_CMAKE_DIR})

# Man pages (generated into ${PROJECT_BINARY_DIR}/man by the build when it makes them)
# and the documentation.
install(DIRECTORY ${PROJECT_BINARY_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
  OPTIONAL FILES_MATCHING PATTERN "*.1")
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
  FILES_MATCHING PATTERN "*.md" PATTERN "*.svg" PATTERN "*.png")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
  OPTIONAL)

# `cpack -G DEB` (in the build directory): one package with all of the above; the
# run-time dependencies come from dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME isactb)
set(CPACK_PACKAGE_VENDOR "isactb")
set(CPACK_PACKAGE_CONTACT "isactb developers <isactb@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "SDR testbed for integrated sensing and communication: command, library, isacsim device")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
# the configured prefix: -DCMAKE_INSTALL_PREFIX=/usr for a Debian-layout package (multiarch
# libdir, the SoapySDR module where the system SoapySDR looks); the default /usr/local works too
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# figures: PLPlot loads its cairo driver at run time (dpkg-shlibdeps cannot see it)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "plplot-driver-cairo")
set(CPACK_SOURCE_IGNORE_FILES "/build.*/;/\\\\.git/")
include(CPack)
