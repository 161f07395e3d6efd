// gorilla-echo: the Go gorilla/websocket echo server for `faye-bench peers`, written as the
// library's own echo example is: ReadMessage, then WriteMessage of the same type, one goroutine
// per connection, the default buffer sizes, no compression.
//
// Listens on 127.0.0.1 on an ephemeral port, prints the port and a newline once listening, and
// exits when its standard input reaches end of file (the same protocol as every peer server).
//
// Build (Debian golang-go and golang-github-gorilla-websocket-dev, GOPATH mode):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o gorilla-echo main.go
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{
	// The load generator sends no Origin; accept any, as a benchmark peer.
	CheckOrigin: func(*http.Request) bool { return true },
}

func echo(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	for {
		kind, message, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if err := conn.WriteMessage(kind, message); err != nil {
			return
		}
	}
}

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)
	go func() {
		// The parent closes our standard input when it is done.
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	log.Fatal(http.Serve(listener, http.HandlerFunc(echo)))
}
