//go:build amd64

// Command fmapeak measures this machine's fp32 peak: a loop of
// independent fused multiply-adds on vector registers, on 1 and on N
// threads at once (all cores busy lower the clock), as bench/run.sh's "% of
// peak" denominator. It prints one JSON line:
//
//	{"impl":"fmapeak","isa":"avx512","one_thread_gflops":232,"threads":2,"gflops":425}
//
// The VM's nominal clock would understate the peak: this machine's cores
// run AVX-512 at 3.3-3.6 GHz against 2.6 GHz nominal.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/cpu"
)

func fmaLoopAVX512(n int)
func fmaLoopAVX2(n int)

func main() {
	threads := flag.Int("threads", runtime.NumCPU(), "threads to run at once")
	flag.Parse()
	if *threads < 1 {
		fmt.Fprintf(os.Stderr, "fmapeak: -threads %d: want at least 1\n", *threads)
		os.Exit(2)
	}
	isa, loop, lanes := "avx512", fmaLoopAVX512, 16
	if !cpu.X86.HasAVX512F {
		if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
			fmt.Fprintln(os.Stderr, "fmapeak: this CPU has neither AVX-512 nor AVX2+FMA")
			os.Exit(1)
		}
		isa, loop, lanes = "avx2", fmaLoopAVX2, 8
	}
	one := best(loop, lanes, 1)
	all := best(loop, lanes, *threads)
	out, _ := json.Marshal(map[string]any{
		"impl": "fmapeak", "isa": isa, "one_thread_gflops": round(one), "threads": *threads, "gflops": round(all),
	})
	fmt.Println(string(out))
}

// best runs the loop on threads OS threads at once, five times, and returns
// the best total GFLOP/s.
func best(loop func(int), lanes, threads int) float64 {
	const iters = 40_000_000 // 12 FMAs each: about 0.1 s
	var top float64
	for range 5 {
		var wg sync.WaitGroup
		start := time.Now()
		for range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				loop(iters)
			}()
		}
		wg.Wait()
		flops := float64(threads) * iters * 12 * float64(lanes) * 2
		top = max(top, flops/time.Since(start).Seconds()/1e9)
	}
	return top
}

func round(v float64) float64 { return float64(int(v*10+0.5)) / 10 }
