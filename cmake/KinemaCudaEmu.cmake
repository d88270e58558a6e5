# Builds CUDA sources for the CPU through the emulation shim (native/emu): each .cu is compiled by
# the C++ compiler with native/emu/cuda_emu.h force-included and KN_CUDA_EMU=1, and linked against
# kinema_emu_runtime. A generated .cpp wrapper #includes each .cu, so the same .cu file can also be
# in an nvcc target of the same directory (a LANGUAGE property on the .cu itself would clash).
#
#   kinema_add_cuda_emu_module([TARGET] <target> SOURCES <.cu/.cpp...> [LINK_LIBRARIES <libs...>])
#       a SHARED library (plugin), RUNPATH $ORIGIN
#   kinema_add_cuda_emu_executable(NAME <name> SOURCES <.cu/.cpp...> [LINK_LIBRARIES <libs...>])
#       an executable
#   kinema_add_cuda_emu_test(NAME <name> SOURCES <.cu/.cpp...> [LINK_LIBRARIES <libs...>])
#       the same, registered with ctest
#
# Both check after linking that the module holds no thread-local variables except __shared__ ones
# (the runtime fills the kernel's __shared__ variables in the module's TLS block with 0xFF).
include_guard(GLOBAL)

get_filename_component(_kinema_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(KINEMA_CUDA_EMU_DIR "${_kinema_root}/native/emu" CACHE INTERNAL "CUDA emulation shim")
set(KINEMA_CUDA_EMU_INCLUDE_DIRS
    "${KINEMA_CUDA_EMU_DIR}/include" "${_kinema_root}/native/include" "${_kinema_root}/native/src"
    "${_kinema_root}/kernels" CACHE INTERNAL "include path of emulated CUDA sources")
if(CMAKE_READELF)
  set(KINEMA_READELF "${CMAKE_READELF}")
else()
  find_program(KINEMA_READELF NAMES readelf DOC "readelf, for the kernel-module TLS check")
endif()

# Without -mfma every fmaf() in an emulated kernel is a libm call: measured 2-4x slower convolution
# kernels. The modules then need an FMA CPU (x86-64 since 2013), so it follows the build host.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND NOT DEFINED KINEMA_CUDA_EMU_FMA)
  include(CheckCXXSourceRuns)
  check_cxx_source_runs("int main() { return __builtin_cpu_supports(\"fma\") ? 0 : 1; }" KINEMA_BUILD_HOST_HAS_FMA)
  set(_kinema_fma_default ${KINEMA_BUILD_HOST_HAS_FMA})
else()
  set(_kinema_fma_default OFF)
endif()
option(KINEMA_CUDA_EMU_FMA "Compile emulated CUDA modules with -mfma (x86-64; they then need an FMA CPU)"
       ${_kinema_fma_default})

# Turns SOURCES into compilable C++ sources: .cu files get a wrapper in the build tree.
function(_kinema_cuda_emu_sources target out_var)
  set(result)
  foreach(src IN LISTS ARGN)
    get_filename_component(abs "${src}" ABSOLUTE)
    if(abs MATCHES "\\.cu$")
      get_filename_component(name "${abs}" NAME)
      set(wrapper "${CMAKE_CURRENT_BINARY_DIR}/${target}.emu/${name}.cpp")
      set(content "// Generated: compiles ${name} for the CUDA emulator.\n#include \"${abs}\"\n")
      if(EXISTS "${wrapper}")
        file(READ "${wrapper}" old)
      else()
        set(old "")
      endif()
      if(NOT old STREQUAL content)
        file(WRITE "${wrapper}" "${content}")
      endif()
      set_source_files_properties("${wrapper}" PROPERTIES OBJECT_DEPENDS "${abs}")
      list(APPEND result "${wrapper}")
    else()
      list(APPEND result "${abs}")
    endif()
  endforeach()
  set(${out_var} "${result}" PARENT_SCOPE)
endfunction()

function(_kinema_cuda_emu_configure target)
  target_compile_options(${target} PRIVATE
    "SHELL:-include ${KINEMA_CUDA_EMU_DIR}/cuda_emu.h" -Wno-unknown-pragmas -O2)
  if(KINEMA_CUDA_EMU_FMA)
    target_compile_options(${target} PRIVATE -mfma)
  endif()
  target_compile_definitions(${target} PRIVATE KN_CUDA_EMU=1)
  target_include_directories(${target} PRIVATE ${KINEMA_CUDA_EMU_INCLUDE_DIRS})
  target_link_libraries(${target} PRIVATE kinema_emu_runtime)
  set_target_properties(${target} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    BUILD_RPATH "$ORIGIN;$ORIGIN/../lib"
    INSTALL_RPATH "$ORIGIN")
  if(KINEMA_READELF)
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND "${CMAKE_COMMAND}" -DMODULE=$<TARGET_FILE:${target}> -DREADELF=${KINEMA_READELF}
              -P "${KINEMA_CUDA_EMU_DIR}/check_module_tls.cmake"
      VERBATIM)
  else()
    message(WARNING "kinema: readelf not found; the TLS check of ${target} is skipped")
  endif()
endfunction()

function(kinema_add_cuda_emu_module)
  cmake_parse_arguments(ARG "" "TARGET" "SOURCES;LINK_LIBRARIES" ${ARGN})
  set(target "${ARG_TARGET}")
  if(NOT target)
    list(GET ARG_UNPARSED_ARGUMENTS 0 target)
  endif()
  if(NOT target)
    message(FATAL_ERROR "kinema_add_cuda_emu_module: no target name given")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "kinema_add_cuda_emu_module(${target}): SOURCES is empty")
  endif()
  _kinema_cuda_emu_sources(${target} sources ${ARG_SOURCES})
  add_library(${target} SHARED ${sources})
  _kinema_cuda_emu_configure(${target})
  if(ARG_LINK_LIBRARIES)
    target_link_libraries(${target} PRIVATE ${ARG_LINK_LIBRARIES})
  endif()
endfunction()

function(kinema_add_cuda_emu_executable)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LINK_LIBRARIES" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "kinema_add_cuda_emu_executable: NAME and SOURCES are required")
  endif()
  _kinema_cuda_emu_sources(${ARG_NAME} sources ${ARG_SOURCES})
  add_executable(${ARG_NAME} ${sources})
  _kinema_cuda_emu_configure(${ARG_NAME})
  if(ARG_LINK_LIBRARIES)
    target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LINK_LIBRARIES})
  endif()
endfunction()

function(kinema_add_cuda_emu_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LINK_LIBRARIES" ${ARGN})
  kinema_add_cuda_emu_executable(NAME ${ARG_NAME} SOURCES ${ARG_SOURCES} LINK_LIBRARIES ${ARG_LINK_LIBRARIES})
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
endfunction()
