/* libFuzzer target: the parser properties of parse_check.h on any input. */
#include "parse_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    pc_check((const char *)data, size, 64);
    return 0;
}
