# Optional hardware front ends (included at the end of radio/CMakeLists.txt).
#
#  - soapy back end (radio_soapy.c) and the isacsim SoapySDR plug-in when pkg-config
#    found SoapySDR (top-level: pkg_check_modules(SOAPY IMPORTED_TARGET SoapySDR));
#  - uhd back end (radio_uhd.c) when it found uhd.
# Each defines ISACTB_HAVE_SOAPY / ISACTB_HAVE_UHD (and the *_BACKEND names radio.c's
# registry uses) PUBLIC on isactb_radio, so tests can skip what is not built.
# docs/frontends.md describes the back ends; the plug-in lands in
# ${PROJECT_BINARY_DIR}/lib/soapy (point SOAPY_SDR_PLUGIN_PATH there) and
# `cmake --install` copies it into SoapySDR's module directory under the install prefix.

get_target_property(_isactb_radio_srcs isactb_radio SOURCES)

if(TARGET PkgConfig::SOAPY)
  target_link_libraries(isactb_radio PUBLIC PkgConfig::SOAPY)
  target_compile_definitions(isactb_radio PUBLIC ISACTB_HAVE_SOAPY ISACTB_HAVE_SOAPY_BACKEND)
else()
  list(FILTER _isactb_radio_srcs EXCLUDE REGEX "/radio_soapy[^/]*\\.c$")
endif()

if(TARGET PkgConfig::UHD)
  # Only libuhd itself: uhd.pc also lists -lboost_system, which the C API does not
  # need and which Debian's libuhd-dev does not pull in.
  find_library(ISACTB_UHD_LIBRARY NAMES uhd HINTS ${UHD_LIBRARY_DIRS} ${UHD_LIBDIR})
  target_include_directories(isactb_radio PRIVATE ${UHD_INCLUDE_DIRS})
  target_link_libraries(isactb_radio PUBLIC ${ISACTB_UHD_LIBRARY})
  target_compile_definitions(isactb_radio PUBLIC ISACTB_HAVE_UHD ISACTB_HAVE_UHD_BACKEND)
else()
  # radio_uhd_soapy_common.c is pure C and always built.
  list(FILTER _isactb_radio_srcs EXCLUDE REGEX "/radio_uhd\\.c$")
endif()
set_property(TARGET isactb_radio PROPERTY SOURCES ${_isactb_radio_srcs})

# ---- the isacsim SoapySDR plug-in (C++17 shim over the C emulator) ----
if(TARGET PkgConfig::SOAPY)
  enable_language(CXX)
  set(CMAKE_CXX_STANDARD 17)
  set(CMAKE_CXX_STANDARD_REQUIRED ON)
  set(CMAKE_CXX_EXTENSIONS OFF)
  set(CMAKE_CXX_FLAGS_SANITIZE "${CMAKE_C_FLAGS_SANITIZE}")
  set(CMAKE_MODULE_LINKER_FLAGS_SANITIZE "-fsanitize=address,undefined")

  # A module loads into foreign processes (SoapySDRUtil, python, GNU Radio): the
  # static libraries it links need position-independent code.
  set_property(TARGET isactb_core PROPERTY POSITION_INDEPENDENT_CODE ON)

  # The emulator's own radio layer: radio.c with only the sim back end registered
  # (no ISACTB_HAVE_* definitions), so the plug-in never pulls SoapySDR/UHD back ends
  # into itself.
  file(GLOB _isacsim_sim_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/sim/*.c)
  add_library(isacsimSupport MODULE
    ${CMAKE_CURRENT_SOURCE_DIR}/soapy_isacsim/isacsim_soapy.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/soapy_isacsim/isacsim_c.c
    ${CMAKE_CURRENT_SOURCE_DIR}/radio.c
    ${CMAKE_CURRENT_SOURCE_DIR}/radio_safety.c
    ${CMAKE_CURRENT_SOURCE_DIR}/radio_sim.c
    ${CMAKE_CURRENT_SOURCE_DIR}/radio_uhd_soapy_common.c
    ${_isacsim_sim_srcs})
  target_include_directories(isacsimSupport PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
    ${PROJECT_SOURCE_DIR}/host ${PROJECT_SOURCE_DIR})
  target_link_libraries(isacsimSupport PRIVATE isactb_core PkgConfig::SOAPY PkgConfig::JANSSON m)
  set_target_properties(isacsimSupport PROPERTIES
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib/soapy
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    POSITION_INDEPENDENT_CODE ON)
  # Keep the static libraries' symbols private to the module.
  target_link_options(isacsimSupport PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined)

  # SoapySDR's module directory under the install prefix: <libdir>/SoapySDR/modules<ABI>
  # (the layout SoapySDR searches in its own prefix, /usr for the Debian package; for any
  # other prefix point SOAPY_SDR_PLUGIN_PATH there). Relative, so `cmake --install
  # --prefix P` and DESTDIR apply. Override with -DISACTB_SOAPY_MODULE_DIR=...
  set(_soapy_abi "")
  find_file(_soapy_version_h SoapySDR/Version.h HINTS ${SOAPY_INCLUDEDIR} ${SOAPY_INCLUDE_DIRS})
  if(_soapy_version_h)
    file(STRINGS ${_soapy_version_h} _abi_line REGEX "define SOAPY_SDR_ABI_VERSION")
    string(REGEX MATCH "\"([^\"]+)\"" _m "${_abi_line}")
    set(_soapy_abi "${CMAKE_MATCH_1}")
  endif()
  set(ISACTB_SOAPY_MODULE_DIR "${CMAKE_INSTALL_LIBDIR}/SoapySDR/modules${_soapy_abi}" CACHE PATH
    "Where `cmake --install` puts the isacsim SoapySDR plug-in (relative: under the prefix)")
  install(TARGETS isacsimSupport LIBRARY DESTINATION ${ISACTB_SOAPY_MODULE_DIR})
  message(STATUS "isactb: soapy back end and isacsim plug-in (install dir ${ISACTB_SOAPY_MODULE_DIR})")
endif()
if(TARGET PkgConfig::UHD)
  message(STATUS "isactb: uhd back end")
endif()
