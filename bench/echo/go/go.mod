module rtasync/bench/echo/go

go 1.19
