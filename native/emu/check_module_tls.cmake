# cmake -DMODULE=<file> -DREADELF=<readelf> -P check_module_tls.cmake
# Fails if an emulated kernel module defines thread-local variables other than function-local
# statics (`__shared__` becomes `static thread_local`, mangled _ZZ...) and the shim's anchor byte:
# the runtime fills the module's thread-local variables with 0xFF before every block (all of them
# when the kernel's own cannot be told apart), which would silently corrupt other thread_local state.
execute_process(COMMAND "${READELF}" -sW "${MODULE}" OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_module_tls: readelf failed on ${MODULE}")
endif()
string(REPLACE "\n" ";" lines "${symbols}")
set(offenders)
foreach(line IN LISTS lines)
  # Num: Value Size Type Bind Vis Ndx Name
  if(line MATCHES "^ *[0-9]+: +[0-9a-fA-F]+ +(0x)?[0-9a-fA-F]+ +TLS +[A-Z_]+ +[A-Z_]+ +([A-Z0-9]+) +([^ ]+)")
    set(ndx "${CMAKE_MATCH_2}")
    set(name "${CMAKE_MATCH_3}")
    if(ndx STREQUAL "UND")
      continue()
    endif()
    if(name MATCHES "^_ZZ" OR name MATCHES "kn_emu_tls_anchor")
      continue()
    endif()
    list(APPEND offenders "${name}")
  endif()
endforeach()
if(offenders)
  list(REMOVE_DUPLICATES offenders)
  string(REPLACE ";" "\n  " shown "${offenders}")
  message(FATAL_ERROR
    "${MODULE} defines thread-local variables that are not __shared__:\n  ${shown}\n"
    "An emulated CUDA module may hold no thread_local state: the emulator fills the module's "
    "thread-local variables with 0xFF before each block. Declare __shared__ variables inside the kernel (file-scope "
    "__shared__ is not supported) and keep other thread-local state out of the module.")
endif()
