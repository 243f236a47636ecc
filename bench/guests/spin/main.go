// spin: a long-running guest for bench/dispute_trace.py.
//
// Input: "<iterations> <hex digest>". It chains SHA-256 over a counter that many times,
// keeps every 64th digest (the heap only grows: the zkVM runs Go without a GC), and
// exits 0 if the final digest is the one claimed.
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	in, _ := io.ReadAll(os.Stdin)
	fields := strings.Fields(string(in))
	if len(fields) < 1 {
		fmt.Fprintln(os.Stderr, "input: <iterations> [<hex digest>]")
		os.Exit(1)
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil {
		os.Exit(1)
	}
	var h [32]byte
	var buf [40]byte
	var kept [][]byte
	for i := 0; i < n; i++ {
		copy(buf[:32], h[:])
		binary.LittleEndian.PutUint64(buf[32:], uint64(i))
		h = sha256.Sum256(buf[:])
		if i%64 == 0 {
			kept = append(kept, append([]byte(nil), h[:]...))
		}
	}
	got := hex.EncodeToString(h[:])
	fmt.Println(got, len(kept))
	if len(fields) > 1 && fields[1] != got {
		os.Exit(1)
	}
}
