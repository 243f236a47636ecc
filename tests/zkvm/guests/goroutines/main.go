// goroutines: goroutines, a channel, a WaitGroup on one thread; then a
// runtime panic (index out of range), which exits with status 2.
package main

import (
	"fmt"
	"os"
	"sync"
)

func main() {
	ch := make(chan int)
	var wg sync.WaitGroup
	results := make([]int, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := 0
			for j := 0; j < 300*i; j++ {
				s += j ^ i
			}
			results[i] = s
		}(i)
	}
	go func() {
		for i := 0; i < 5; i++ {
			ch <- i * i
		}
		close(ch)
	}()
	total := 0
	for v := range ch {
		total += v
	}
	wg.Wait()
	fmt.Println(results, total)
	var empty []int
	fmt.Println(empty[len(os.Args)+2])
}
