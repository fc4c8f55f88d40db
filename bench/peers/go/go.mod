module rtasync/bench/peers/go

go 1.19
