// sha256: prints the SHA-256 of the whole input tape (fd 0) in hex.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Println("read error:", err)
		os.Exit(1)
	}
	fmt.Printf("%d bytes\n%x\n", len(data), sha256.Sum256(data))
}
