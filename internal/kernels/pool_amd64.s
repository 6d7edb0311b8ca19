//go:build amd64 && !purego

#include "textflag.h"

// func maxPool2RowAVX512(y *float32, arg *int32, x *float32, i00, ow, c, wc int)
//
// One output row of a 2x2, stride-2 max-pool over NHWC x, as maxPool2's
// inner loops: for each output pixel ox < ow and channel ch < c (c a
// multiple of 16), the taps at i = i00 + 2*ox*c + {0, c, wc, wc+c} + ch are
// compared in that order, strict > (ties keep the first), and y[ox*c+ch],
// arg[ox*c+ch] get the maximum and its index i.
TEXT ·maxPool2RowAVX512(SB), NOSPLIT, $0-56
	MOVQ y+0(FP), DI
	MOVQ arg+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ i00+24(FP), R8
	MOVQ ow+32(FP), R9
	MOVQ c+40(FP), R10
	MOVQ wc+48(FP), R11

	// Z31 = 0, 1, ..., 15 (lane numbers); Z30 = c, Z29 = wc, Z28 = wc+c.
	LEAQ   iota16<>(SB), AX
	VMOVDQU32 (AX), Z31
	VPBROADCASTD R10, Z30
	VPBROADCASTD R11, Z29
	VPADDD Z30, Z29, Z28

pixel:
	TESTQ R9, R9
	JLE   done
	XORQ  BX, BX // ch

channels:
	CMPQ BX, R10
	JGE  nextpixel
	LEAQ (R8)(BX*1), AX          // i = base + ch
	LEAQ (DX)(AX*4), R12         // &x[i]
	VMOVUPS (R12), Z0            // tap (0, 0)
	VMOVUPS (R12)(R10*4), Z1     // tap (0, 1)
	LEAQ (R12)(R11*4), R13
	VMOVUPS (R13), Z2            // tap (1, 0)
	VMOVUPS (R13)(R10*4), Z3     // tap (1, 1)
	VPBROADCASTD AX, Z4
	VPADDD  Z31, Z4, Z4          // at = i + lane
	VCMPPS  $0x1e, Z0, Z1, K2    // K2 = tap1 > best (GT_OQ)
	VMAXPS  Z1, Z0, Z0           // best = max(best, tap1)
	VPADDD  Z30, Z4, Z5          // i + c
	VMOVDQA32 Z4, Z6
	VMOVDQA32 Z5, K2, Z6         // at = i + c where tap1 won
	VCMPPS  $0x1e, Z0, Z2, K3    // tap2 > best
	VMAXPS  Z2, Z0, Z0
	VPADDD  Z29, Z4, Z5          // i + wc
	VMOVDQA32 Z5, K3, Z6
	VCMPPS  $0x1e, Z0, Z3, K4    // tap3 > best
	VMAXPS  Z3, Z0, Z0
	VPADDD  Z28, Z4, Z5          // i + wc + c
	VMOVDQA32 Z5, K4, Z6
	VMOVUPS Z0, (DI)(BX*4)       // y
	VMOVDQU32 Z6, (SI)(BX*4)     // arg
	ADDQ $16, BX
	JMP  channels

nextpixel:
	LEAQ (DI)(R10*4), DI         // y, arg += c
	LEAQ (SI)(R10*4), SI
	LEAQ (R8)(R10*2), R8         // base += 2c
	DECQ R9
	JMP  pixel

done:
	VZEROUPPER
	RET

DATA iota16<>+0(SB)/4, $0
DATA iota16<>+4(SB)/4, $1
DATA iota16<>+8(SB)/4, $2
DATA iota16<>+12(SB)/4, $3
DATA iota16<>+16(SB)/4, $4
DATA iota16<>+20(SB)/4, $5
DATA iota16<>+24(SB)/4, $6
DATA iota16<>+28(SB)/4, $7
DATA iota16<>+32(SB)/4, $8
DATA iota16<>+36(SB)/4, $9
DATA iota16<>+40(SB)/4, $10
DATA iota16<>+44(SB)/4, $11
DATA iota16<>+48(SB)/4, $12
DATA iota16<>+52(SB)/4, $13
DATA iota16<>+56(SB)/4, $14
DATA iota16<>+60(SB)/4, $15
GLOBL iota16<>(SB), RODATA|NOPTR, $64
