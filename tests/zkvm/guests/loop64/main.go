// loop64: uint64 and int64 arithmetic on a 32-bit target (carries, 64-bit
// multiply and division helpers, shifts, rotates, signed division).
package main

import (
	"fmt"
	"math/bits"
	"os"
)

func main() {
	var x uint64 = 0x9E3779B97F4A7C15
	var acc uint64
	var sacc int64 = -7
	var q uint64 = 1
	for i := uint64(1); i <= 6000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		acc += x * i
		acc = bits.RotateLeft64(acc, int(i%64))
		q = q*6364136223846793005 + 1442695040888963407
		if i%7 == 0 {
			acc ^= x / (i | 1)
			sacc = sacc*-3 + int64(x%1000) - int64(i)
			sacc /= 2
		}
		hi, lo := bits.Mul64(x, q)
		acc += hi ^ lo
	}
	fmt.Printf("%016x %d %016x\n", acc, sacc, q)
	if acc == 0 {
		os.Exit(3)
	}
}
