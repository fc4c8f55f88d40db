# rtac_add_sources(<target> ENGINE tasklet|cont|async1 [FILES] <source>...)
#
# Compiles each async2 source (functions marked RTA_ASYNC, docs/rtac.md) with
# rtac for one engine and adds the generated C file to <target>. rtac parses
# with the target's include directories and compile definitions, so the
# source sees the same headers the compiler will. The generated files live
# in <binary dir>/rtac/<target>/ and carry #line directives naming the
# source, so compiler errors and gdb point at it.
#
# RTAC_EXECUTABLE names the rtac command (set by rtasyncConfig.cmake, or by
# rtasync's own build); RTAC_DEPENDS lists files whose change reruns it.
function(rtac_add_sources target)
  cmake_parse_arguments(PARSE_ARGV 1 RTAC "" "ENGINE" "FILES")
  set(files ${RTAC_FILES} ${RTAC_UNPARSED_ARGUMENTS})
  if(NOT RTAC_ENGINE MATCHES "^(tasklet|cont|async1)$")
    message(FATAL_ERROR "rtac_add_sources(${target}): ENGINE must be tasklet, cont or async1, not '${RTAC_ENGINE}'")
  endif()
  if(NOT files)
    message(FATAL_ERROR "rtac_add_sources(${target}): no source files given")
  endif()
  if(NOT RTAC_EXECUTABLE)
    message(FATAL_ERROR "rtac_add_sources(${target}): RTAC_EXECUTABLE is not set (find_package(rtasync) sets it)")
  endif()
  set(incs "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>")
  set(defs "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")
  foreach(src ${files})
    get_filename_component(abs "${src}" ABSOLUTE)
    get_filename_component(name "${src}" NAME_WE)
    set(out "${CMAKE_CURRENT_BINARY_DIR}/rtac/${target}/${name}.${RTAC_ENGINE}.c")
    add_custom_command(OUTPUT "${out}"
      COMMAND ${RTAC_EXECUTABLE} --engine ${RTAC_ENGINE} -o "${out}" "${abs}" --
              "$<$<BOOL:${incs}>:-I$<JOIN:${incs},;-I>>" "$<$<BOOL:${defs}>:-D$<JOIN:${defs},;-D>>"
      COMMAND_EXPAND_LISTS
      DEPENDS "${abs}" ${RTAC_DEPENDS}
      COMMENT "rtac --engine ${RTAC_ENGINE} ${src}"
      VERBATIM)
    target_sources(${target} PRIVATE "${out}")
  endforeach()
endfunction()
