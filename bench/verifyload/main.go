// Command verifyload sends verification requests to a running gateway
// from its own process and prints req/s and latency.
//
//	go run ./bench/verifyload -url http://127.0.0.1:8080/api/v1/verify/SQ-… -c 32 -n 5000
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"

	"dataledger/bench/load"
)

func main() {
	url := flag.String("url", "", "verification URL")
	conns := flag.Int("c", 32, "concurrent connections")
	n := flag.Int("n", 5000, "requests")
	flag.Parse()
	if *url == "" {
		log.Fatal("-url is required")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns}}
	r := load.Run(*conns, *n, func(int) string {
		resp, err := client.Get(*url)
		if err != nil {
			return "error"
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return fmt.Sprint(resp.StatusCode)
	})
	fmt.Println(r)
}
