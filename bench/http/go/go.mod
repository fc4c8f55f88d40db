module rtasync/bench/http/go

go 1.19
