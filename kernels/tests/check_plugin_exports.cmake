# cmake -DNM=<nm> -DPLUGIN=<lib.so> -P check_plugin_exports.cmake
# Fails unless the plugin's dynamic symbol table defines exactly one symbol, kn_plugin_entry.
execute_process(COMMAND ${NM} -D --defined-only ${PLUGIN}
  OUTPUT_VARIABLE _symbols RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D ${PLUGIN} failed (${_rc}): ${_err}")
endif()
string(REGEX MATCHALL "[^\n]+" _lines "${_symbols}")
set(_exported "")
foreach(_line IN LISTS _lines)
  string(REGEX REPLACE "^[0-9a-fA-F]* *[A-Za-z] " "" _name "${_line}")
  list(APPEND _exported "${_name}")
endforeach()
if(NOT _exported STREQUAL "kn_plugin_entry")
  message(FATAL_ERROR "${PLUGIN} exports [${_exported}], expected exactly [kn_plugin_entry]")
endif()
message(STATUS "${PLUGIN} exports exactly kn_plugin_entry")
