# Runs rtac (RTAC) for ENGINE on one refused source (SRC) and checks that it
# exits 1, writes no output, and prints the diagnostic that SRC's first line
# names after "expect: " as `SRC:LINE:COL: error: ...`.
file(STRINGS ${SRC} first LIMIT_COUNT 1)
string(REGEX REPLACE "^/\\* expect: (.*) \\*/$" "\\1" expect "${first}")
set(out ${OUT_DIR}/${ENGINE}.c)
file(REMOVE ${out})
execute_process(COMMAND ${RTAC} --engine ${ENGINE} -o ${out} ${SRC}
  OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr RESULT_VARIABLE rc)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "rtac exited with ${rc} (want 1)\nstderr:\n${stderr}")
endif()
if(EXISTS ${out})
  message(FATAL_ERROR "rtac refused ${SRC} but wrote ${out}")
endif()
string(FIND "${stderr}" "${SRC}:${expect}" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "stderr does not start with\n  ${SRC}:${expect}\nstderr:\n${stderr}")
endif()
