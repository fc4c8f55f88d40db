#!/bin/bash
# Where the server's CPU goes (kernel or user space), load-robust as a share:
# perf record (cpu-clock samples, no PMU needed) on the server's process during
# a 3 s wrk run on 64 keep-alive connections, pinned as bench/http pins them.
#   bench/http/perfsplit.sh tasklet|cont|async1|nginx OUT.data [PATH]
#   perf report -i OUT.data --no-children --sort dso -q -g none -n
# B=BUILD names the build tree with scenarios/http/rtahttpd (default build/bench-http,
# bench/http/run.sh's); IO=io_uring the backend.
set -u
srv=$1; outf=$2; path=${3:-/plaintext}; B=${B:-build/bench-http}
tmp=$(mktemp -d)
if [[ $srv == nginx ]]; then
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  python3 -c "import sys;sys.path.insert(0,'$(dirname "$0")');sys.path.insert(0,'$(dirname "$0")/../report');from bench import NGINX_CONF;open('$tmp/nginx.conf','w').write(NGINX_CONF.format(tmp='$tmp',port=$port))"
  taskset -c 0 nginx -p $tmp -c $tmp/nginx.conf -e $tmp/error.log & main=$!; sleep 0.5
  pid=$(pgrep -P $main | head -1)
else
  RTA_IO=${IO:-epoll} RTA_STALL_MS=0 taskset -c 0 $B/scenarios/http/rtahttpd --engine $srv --port 0 --workers 1 > $tmp/out &
  main=$!; pid=$main; sleep 0.3; port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' $tmp/out)
fi
taskset -c 1 wrk -t1 -c64 -d1s http://127.0.0.1:$port$path >/dev/null
perf record -q -e cpu-clock -F 5000 -g -p $pid -o $outf -- sleep 3 2>/dev/null &
ps=$!; sleep 0.1
taskset -c 1 wrk -t1 -c64 -d3s http://127.0.0.1:$port$path > $tmp/wrk
wait $ps
sed -n 's/ *\([0-9]*\) requests in.*/\1 requests/p' $tmp/wrk
kill -TERM $main 2>/dev/null; [[ $srv == nginx ]] && kill -QUIT $main 2>/dev/null; wait $main 2>/dev/null
rm -rf $tmp
