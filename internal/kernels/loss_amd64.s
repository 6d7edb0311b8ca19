//go:build amd64 && !purego

#include "textflag.h"

// BCE in AVX-512: bceLanesGo (loss.go) 16 values at a time, operation by
// operation in the same order and without fused multiply-adds, so that
// every gradient and every lane sum equals the Go twin's bit for bit.
//
// Constant registers:
//   Z16 eps (1e-7)   Z17 1-eps   Z18 1.0   Z19 scale
//   Z20 0x004afb0d (= 0x3f800000 - 0x3f3504f3)   Z21 0x007fffff
//   Z22 0x3f3504f3   Z23 0x7f   Z24 2.0   Z25 0.5
//   Z26..Z29 lg1..lg4   Z30 ln2Hi   Z31 ln2Lo
// Lane sums: Z14 (lanes 0-7) and Z15 (lanes 8-15), float64.

#define BCAST(bits, z) MOVL $bits, AX; VPBROADCASTD AX, z

// LOG32(x, out, t1..t7) is log32: out = log(x) for positive normal x.
// t1 = f, t2 = k then dk, t3 = s, t4 = z then hfsq, t5 = w, t6 = t1 of
// log32, t7 = t2 then R.
#define LOG32(x, out, t1, t2, t3, t4, t5, t6, t7) \
	VPADDD    Z20, x, t1; \
	VPSRLD    $23, t1, t2; \
	VPSUBD    Z23, t2, t2; \
	VCVTDQ2PS t2, t2; \
	VPANDD    Z21, t1, t1; \
	VPADDD    Z22, t1, t1; \
	VSUBPS    Z18, t1, t1; \
	VADDPS    Z24, t1, t3; \
	VDIVPS    t3, t1, t3; \
	VMULPS    t3, t3, t4; \
	VMULPS    t4, t4, t5; \
	VMULPS    Z29, t5, t6; \
	VADDPS    Z27, t6, t6; \
	VMULPS    t6, t5, t6; \
	VMULPS    Z28, t5, t7; \
	VADDPS    Z26, t7, t7; \
	VMULPS    t7, t4, t7; \
	VADDPS    t6, t7, t7; \
	VMULPS    Z25, t1, t4; \
	VMULPS    t1, t4, t4; \
	VADDPS    t7, t4, t5; \
	VMULPS    t5, t3, out; \
	VMULPS    Z31, t2, t5; \
	VADDPS    t5, out, out; \
	VSUBPS    t4, out, out; \
	VADDPS    t1, out, out; \
	VMULPS    Z30, t2, t5; \
	VADDPS    t5, out, out

// func bceLanesAVX512(pred, target, grad *float32, n int, scale float32, lanes *[16]float64)
TEXT ·bceLanesAVX512(SB), NOSPLIT, $0-48
	MOVQ pred+0(FP), SI
	MOVQ target+8(FP), DX
	MOVQ grad+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS scale+32(FP), Z19
	MOVQ lanes+40(FP), R8
	BCAST(0x33d6bf95, Z16)
	BCAST(0x3f7ffffe, Z17)
	BCAST(0x3f800000, Z18)
	BCAST(0x004afb0d, Z20)
	BCAST(0x007fffff, Z21)
	BCAST(0x3f3504f3, Z22)
	BCAST(0x0000007f, Z23)
	BCAST(0x40000000, Z24)
	BCAST(0x3f000000, Z25)
	BCAST(0x3f2aaaaa, Z26)
	BCAST(0x3eccce13, Z27)
	BCAST(0x3e91e9ee, Z28)
	BCAST(0x3e789e26, Z29)
	BCAST(0x3f317180, Z30)
	BCAST(0x3717f7d1, Z31)
	VMOVUPD (R8), Z14
	VMOVUPD 64(R8), Z15

loop:
	CMPQ CX, $0
	JLE  done
	MOVL $0xffff, AX
	CMPQ CX, $16
	JGE  full
	MOVL $1, AX      // tail: mask of the low CX lanes
	SHLL CX, AX
	DECL AX

full:
	KMOVW     AX, K2
	VMOVUPS.Z (SI), K2, Z0  // p
	VMOVUPS.Z (DX), K2, Z1  // t
	VMAXPS    Z0, Z16, Z2   // max(p, eps): MAXPS returns its second source, p, if either is NaN
	VMINPS    Z2, Z17, Z2   // pc = min(., 1-eps), NaN kept likewise
	VADDPS    Z16, Z2, Z3   // a = pc + eps
	VSUBPS    Z2, Z18, Z4   // 1 - pc
	VADDPS    Z16, Z4, Z4   // b = (1 - pc) + eps
	LOG32(Z3, Z5, Z7, Z8, Z9, Z10, Z11, Z12, Z13)
	LOG32(Z4, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13)
	VMULPS    Z5, Z1, Z7    // t*log(a)
	VSUBPS    Z1, Z18, Z8   // 1 - t
	VMULPS    Z6, Z8, Z9    // (1-t)*log(b)
	VADDPS    Z9, Z7, Z7    // term
	VSUBPS    Z2, Z2, Z9    // pc - pc: NaN if p is NaN, else 0
	VADDPS    Z9, Z7, Z7
	VMOVAPS.Z Z7, K2, Z7    // lanes past n add nothing
	VCVTPS2PD Y7, Z9
	VSUBPD    Z9, Z14, Z14  // lanes 0-7 -= term
	VEXTRACTF64X4 $1, Z7, Y10
	VCVTPS2PD Y10, Z10
	VSUBPD    Z10, Z15, Z15 // lanes 8-15 -= term

	VMULPS    Z3, Z8, Z9    // (1-t)*a
	VMULPS    Z4, Z1, Z10   // t*b
	VSUBPS    Z10, Z9, Z9
	VMULPS    Z4, Z3, Z10   // a*b
	VDIVPS    Z10, Z9, Z9
	VMULPS    Z19, Z9, Z9   // * scale
	VCMPPS    $4, Z0, Z2, K1 // K1 = pc != p (NEQ_UQ: also where p is NaN)
	KNOTW     K1, K3
	VMOVAPS.Z Z9, K3, Z9    // the clip is active: gradient 0
	VMOVUPS   Z9, K2, (DI)

	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop

done:
	VMOVUPD Z14, (R8)
	VMOVUPD Z15, 64(R8)
	VZEROUPPER
	RET
