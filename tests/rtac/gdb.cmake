# gdb in batch mode on an rtac-built program (PROG): a breakpoint on a line
# of the async2 source (BREAK, file:line) must be hit, and the frame must
# name that file and line (the #line directives rtac writes), and, given
# FUNC, the function the user wrote (not a lowered name).
execute_process(COMMAND ${GDB} -nx -batch -ex "break ${BREAK}" -ex run -ex bt -ex kill ${PROG}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT out MATCHES "hit Breakpoint 1[^\n]* at [^\n]*/${BREAK}\n")
  message(FATAL_ERROR "gdb did not stop at ${BREAK}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(FUNC AND NOT out MATCHES "hit Breakpoint 1[.0-9]*, ${FUNC} \\(")
  message(FATAL_ERROR "gdb stopped at ${BREAK} in another function than ${FUNC}\nstdout:\n${out}")
endif()
