#!/usr/bin/env python3
"""Writes tests/json/corpus: y_*.json must be accepted, n_*.json rejected.
A y_ file may have a .expect twin (the exact compact round trip); each n_
file's expected error position (line:col) is listed in positions.txt.
Rerun after editing the lists below; the files are committed."""
import os

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)
for f in os.listdir(here):
    os.remove(os.path.join(here, f))

Y = {  # name: (input bytes, expected compact output or None)
    "empty_object": (b"{}", b"{}"),
    "empty_array": (b"[]", b"[]"),
    "ws_object": (b' \t\r\n{ "a" : [ 1 , 2 ] , "b" : { } } \n', b'{"a":[1,2],"b":{}}'),
    "top_string": (b'"hello"', b'"hello"'),
    "top_number": (b"42", b"42"),
    "top_true": (b"true", b"true"),
    "top_false": (b" false ", b"false"),
    "top_null": (b"null", b"null"),
    "num_zero": (b"0", b"0"),
    "num_neg_zero": (b"-0", b"-0"),
    "num_frac": (b"[0.5,-1.25,3.0]", b"[0.5,-1.25,3.0]"),
    "num_exp": (b"[1e5,1E+5,1e-5,-2.5E-3,0e0]", b"[1e5,1E+5,1e-5,-2.5E-3,0e0]"),
    "num_huge": (b"[1e400,123456789012345678901234567890]", b"[1e400,123456789012345678901234567890]"),
    "num_tiny": (b"[4.9e-324,1e-400]", b"[4.9e-324,1e-400]"),
    "num_int_limits": (b"[9223372036854775807,-9223372036854775808]", None),
    "str_escapes": (b'["\\"\\\\\\/\\b\\f\\n\\r\\t"]', b'["\\"\\\\/\\b\\f\\n\\r\\t"]'),
    "str_u_ascii": (b'"\\u0041\\u0062"', b'"Ab"'),
    "str_u_nul": (b'"a\\u0000b"', b'"a\\u0000b"'),
    "str_u_controls": (b'"\\u0001\\u001f\\u007f"', b'"\\u0001\\u001f\x7f"'),
    "str_u_2byte": (b'"\\u00e9\\u00E9"', "\"\u00e9\u00e9\"".encode()),
    "str_u_3byte": (b'"\\u20ac\\uffff"', "\"\u20ac\uffff\"".encode()),
    "str_surrogate_pair": (b'"\\ud83d\\ude00"', "\"\U0001F600\"".encode()),
    "str_surrogate_upper": (b'"\\uD834\\uDD1E"', "\"\U0001D11E\"".encode()),
    "str_utf8_raw": ("\"caf\u00e9 \u20ac \U0001F600 \u65e5\u672c\"".encode(), None),
    "str_utf8_edges": ("\"\u0080\u07ff\u0800\ufffd\uffff\U00010000\U0010FFFF\"".encode(), None),
    "str_del_raw": (b'"\x7f"', b'"\x7f"'),
    "str_slash": (b'"a/b"', b'"a/b"'),
    "str_empty": (b'""', b'""'),
    "str_long": (b'"' + b"x" * 70000 + b'"', None),
    "str_long_escapes": (b'"' + b"\\n" * 20000 + b'"', None),
    "key_empty": (b'{"":1}', b'{"":1}'),
    "key_dup": (b'{"a":1,"a":2}', b'{"a":1,"a":2}'),
    "key_escaped": (b'{"\\u0061\\n":true}', b'{"a\\n":true}'),
    "nested_mixed": (b'[{"a":[{"b":null}]},[[]],{}]', b'[{"a":[{"b":null}]},[[]],{}]'),
    "depth_512": (b"[" * 512 + b"]" * 512, b"[" * 512 + b"]" * 512),
    "depth_512_obj": (b'{"a":' * 511 + b"[]" + b"}" * 511, None),
    "array_many": (b"[" + b",".join(b"%d" % i for i in range(3000)) + b"]", None),
    "literals": (b"[true,false,null]", b"[true,false,null]"),
    "crlf_lines": (b"[\r\n1,\r\n2\r\n]", b"[1,2]"),
    "trailing_ws": (b"{}   \n\n\t", b"{}"),
}

N = {  # name: (input bytes, "line:col" of the error)
    "empty": (b"", "1:1"),
    "only_ws": (b"  \n ", "2:2"),
    "unclosed_array": (b"[1,2", "1:5"),
    "unclosed_object": (b'{"a":1', "1:7"),
    "trailing_comma_array": (b"[1,]", "1:4"),
    "trailing_comma_object": (b'{"a":1,}', "1:8"),
    "leading_comma": (b"[,1]", "1:2"),
    "double_comma": (b"[1,,2]", "1:4"),
    "missing_comma": (b"[1 2]", "1:4"),
    "missing_colon": (b'{"a" 1}', "1:6"),
    "colon_in_array": (b"[1:2]", "1:3"),
    "key_not_string": (b"{1:2}", "1:2"),
    "key_single_quote": (b"{'a':1}", "1:2"),
    "single_quote_string": (b"['a']", "1:2"),
    "unquoted_key": (b"{a:1}", "1:2"),
    "two_values": (b"1 2", "1:3"),
    "two_objects": (b"{}{}", "1:3"),
    "garbage_after": (b"[1]x", "1:4"),
    "num_leading_zero": (b"01", "1:2"),
    "num_neg_leading_zero": (b"-01", "1:3"),
    "num_plus": (b"+1", "1:1"),
    "num_dot_start": (b".5", "1:1"),
    "num_dot_end": (b"1.", "1:3"),
    "num_exp_empty": (b"1e", "1:3"),
    "num_exp_sign_only": (b"1e+", "1:4"),
    "num_minus_only": (b"-", "1:2"),
    "num_hex": (b"0x10", "1:2"),
    "num_nan": (b"NaN", "1:1"),
    "num_inf": (b"[-Infinity]", "1:3"),
    "num_double_minus": (b"--1", "1:2"),
    "num_in_array_bad": (b"[1.e5]", "1:4"),
    "lit_true_short": (b"tru", "1:1"),
    "lit_true_caps": (b"True", "1:1"),
    "lit_nul": (b"nul", "1:1"),
    "lit_fals": (b"[fals]", "1:2"),
    "lit_truex": (b"truex", "1:5"),
    "str_unterminated": (b'"abc', "1:1"),
    "str_ctrl_newline": (b'"a\nb"', "1:3"),
    "str_ctrl_tab": (b'"a\tb"', "1:3"),
    "str_ctrl_nul": (b'"a\x00b"', "1:3"),
    "str_bad_escape": (b'"\\x"', "1:2"),
    "str_escape_eof": (b'"\\', "1:2"),
    "str_u_short": (b'"\\u12"', "1:2"),
    "str_u_bad_hex": (b'"\\u12G4"', "1:2"),
    "str_lone_high": (b'"\\ud800"', "1:2"),
    "str_lone_high_then_text": (b'"\\ud800abc"', "1:2"),
    "str_lone_low": (b'"\\udc00"', "1:2"),
    "str_high_high": (b'"\\ud800\\ud800"', "1:2"),
    "str_high_then_escape": (b'"\\ud800\\n"', "1:2"),
    "utf8_lone_continuation": (b'"\x80"', "1:2"),
    "utf8_overlong_2": (b'"\xc0\xaf"', "1:2"),
    "utf8_overlong_3": (b'"\xe0\x80\xaf"', "1:2"),
    "utf8_overlong_4": (b'"\xf0\x80\x80\xaf"', "1:2"),
    "utf8_surrogate_raw": (b'"\xed\xa0\x80"', "1:2"),
    "utf8_too_big": (b'"\xf4\x90\x80\x80"', "1:2"),
    "utf8_f5": (b'"\xf5\x80\x80\x80"', "1:2"),
    "utf8_truncated": (b'"\xe2\x82"', "1:2"),
    "utf8_truncated_at_end": (b'"ab\xe2\x82', "1:4"),
    "utf8_ff": (b'"\xff"', "1:2"),
    "utf8_outside_string": (b"[\xc3\xa9]", "1:2"),
    "bom": (b"\xef\xbb\xbf{}", "1:1"),
    "depth_513": (b"[" * 513 + b"]" * 513, "1:513"),
    "depth_513_obj": (b'{"a":' * 513 + b"1" + b"}" * 513, "1:2561"),
    "depth_100k": (b"[" * 100000, "1:513"),
    "close_mismatch": (b"[1}", "1:3"),
    "close_extra": (b"[1]]", "1:4"),
    "object_close_in_array": (b"[}", "1:2"),
    "comment_line": (b"[1]//x", "1:4"),
    "comment_block": (b"/*x*/[1]", "1:1"),
    "nul_top": (b"\x00", "1:1"),
    "multiline_pos": (b'{\n  "a": [\n    1,\n    2,,\n  ]\n}', "4:7"),
    "vertical_tab_ws": (b"[\x0b1]", "1:2"),
    "formfeed_ws": (b"[\x0c1]", "1:2"),
    "nbsp_ws": (b"[\xc2\xa01]", "1:2"),
    "object_no_value": (b'{"a":}', "1:6"),
    "object_eof_after_key": (b'{"a"', "1:5"),
    "array_eof_after_comma": (b"[1,", "1:4"),
}

for name, (data, expect) in Y.items():
    with open(os.path.join(here, "y_%s.json" % name), "wb") as f:
        f.write(data)
    if expect is not None:
        with open(os.path.join(here, "y_%s.expect" % name), "wb") as f:
            f.write(expect)
with open(os.path.join(here, "positions.txt"), "w") as pos:
    for name, (data, where) in N.items():
        with open(os.path.join(here, "n_%s.json" % name), "wb") as f:
            f.write(data)
        pos.write("n_%s.json %s\n" % (name, where))
print(len(Y), "valid,", len(N), "invalid")
