# Runs one rtac-built program (PROG, under WRAP: valgrind or an emulator,
# '|'-separated) and compares its stdout with EXPECT.
string(REPLACE "|" ";" wrap "${WRAP}")
execute_process(COMMAND ${wrap} ${PROG} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROG} exited with ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
file(READ ${EXPECT} expect)
if(NOT out STREQUAL expect)
  message(FATAL_ERROR "${PROG}: stdout differs from ${EXPECT}\n--- got:\n${out}\n--- expected:\n${expect}")
endif()
