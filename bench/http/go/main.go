// The Go net/http peer of bench/http: the same routes and bodies as rtahttpd,
// written as a Go user would (encoding/json for /json). Run with GOMAXPROCS=1
// for the one-worker comparison.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
)

type message struct {
	Message string `json:"message"`
}

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0 = any)")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Server", "go")
		w.Write([]byte("Hello, World!"))
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(message{Message: "Hello, World!"})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Server", "go")
		w.Write(b)
	})
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr().String())
	os.Stdout.Sync()
	http.Serve(ln, mux)
}
