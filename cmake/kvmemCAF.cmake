# Imported targets CAF::core and CAF::io for Debian's libcaf-dev (CAF 0.17.6),
# which ships no CMake package. Imported include directories are SYSTEM, so
# CAF's own warnings never fail a -Werror build. Installed with kvmem and
# used by kvmemConfig.cmake, so consumers get the same targets.
include_guard(GLOBAL)
find_package(Threads REQUIRED)
find_path(CAF_INCLUDE_DIR caf/config.hpp)
find_library(CAF_CORE_LIBRARY caf_core)
find_library(CAF_IO_LIBRARY caf_io)
find_library(CAF_OPENSSL_LIBRARY caf_openssl)
if(NOT CAF_INCLUDE_DIR OR NOT CAF_CORE_LIBRARY OR NOT CAF_IO_LIBRARY OR NOT CAF_OPENSSL_LIBRARY)
  message(FATAL_ERROR "CAF not found: install Debian's libcaf-dev (apt-get install libcaf-dev)")
endif()
file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _kvmem_caf_version REGEX "^#define CAF_VERSION 1706$")
if(NOT _kvmem_caf_version)
  message(FATAL_ERROR "kvmem needs CAF 0.17.6 (CAF_VERSION 1706) in ${CAF_INCLUDE_DIR}")
endif()
if(NOT TARGET CAF::core)
  add_library(CAF::core UNKNOWN IMPORTED)
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_library(CAF::io UNKNOWN IMPORTED)
  set_target_properties(CAF::io PROPERTIES
    IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
    INTERFACE_LINK_LIBRARIES CAF::core)
  add_library(CAF::openssl UNKNOWN IMPORTED)
  set_target_properties(CAF::openssl PROPERTIES
    IMPORTED_LOCATION "${CAF_OPENSSL_LIBRARY}"
    INTERFACE_LINK_LIBRARIES CAF::io)
endif()
