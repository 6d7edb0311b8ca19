//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 activations, in place over n float32 values, 16 lanes at a time;
// the last, partial vector is loaded and stored under a mask (nothing past
// y[n-1] is read or written). Each is the vector form of its Go twin in
// act.go (selu32Go, sigmoid32Go, tanh32Go); the polynomial and the range
// reduction are the same, with fused multiply-adds and round-to-nearest-even
// for n, so results agree with the Go twin to a few ulp.
//
// Constant registers (set by CONSTS):
//   Z16 log2e   Z17 ln2Hi   Z18 ln2Lo   Z19 expMin (-87)
//   Z20..Z25 the expm1 polynomial p0..p5
//   Z26 1.0     Z27 SELU scale   Z28 SELU scale*alpha   Z29 2.0
//   Z30 sign bit (0x80000000)    Z31 0.0

#define BCAST(bits, z) MOVL $bits, AX; VPBROADCASTD AX, z

#define CONSTS \
	BCAST(0x3fb8aa3b, Z16); \
	BCAST(0x3f318000, Z17); \
	BCAST(0xb95e8083, Z18); \
	BCAST(0xc2ae0000, Z19); \
	BCAST(0x39506967, Z20); \
	BCAST(0x3ab743ce, Z21); \
	BCAST(0x3c088908, Z22); \
	BCAST(0x3d2aa9c1, Z23); \
	BCAST(0x3e2aaaaa, Z24); \
	BCAST(0x3f000000, Z25); \
	BCAST(0x3f800000, Z26); \
	BCAST(0x3f867d5f, Z27); \
	BCAST(0x3fe10966, Z28); \
	BCAST(0x40000000, Z29); \
	BCAST(0x80000000, Z30); \
	VPXORD Z31, Z31, Z31

// EXPM1(x, out, t1, t2, t3): out = e^x - 1 for x <= 0 (x clamped to -87),
// as expm1Neg: n = round(x*log2e), r = x - n*ln2, q = r + r^2*p(r),
// out = 2^n*q + (2^n - 1). x is not changed. Step by step: t1 = max(x,
// -87); t2 = n = round(t1*log2e); t1 = r = t1 - n*ln2Hi - n*ln2Lo; t3 = p
// by Horner; out = r^2*p + r; t2 = s = 2^n (VSCALEFPS); t3 = s - 1;
// out = s*out + t3. MAXPS returns its second source (x) when either is NaN,
// so NaN goes through.
#define EXPM1(x, out, t1, t2, t3) \
	VMAXPS       x, Z19, t1; \
	VMULPS       Z16, t1, t2; \
	VRNDSCALEPS  $0, t2, t2; \
	VFNMADD231PS Z17, t2, t1; \
	VFNMADD231PS Z18, t2, t1; \
	VMOVAPS      Z20, t3; \
	VFMADD213PS  Z21, t1, t3; \
	VFMADD213PS  Z22, t1, t3; \
	VFMADD213PS  Z23, t1, t3; \
	VFMADD213PS  Z24, t1, t3; \
	VFMADD213PS  Z25, t1, t3; \
	VMULPS       t1, t1, out; \
	VFMADD213PS  t1, t3, out; \
	VSCALEFPS    t2, Z26, t2; \
	VSUBPS       Z26, t2, t3; \
	VFMADD213PS  t3, t2, out

// EXP(x, out, t1, t2, t3): out = e^x for x <= 0, as expNeg: the steps of
// EXPM1 up to s = 2^n, then out = s*q + s (no cancellation for large -x).
#define EXP(x, out, t1, t2, t3) \
	VMAXPS       x, Z19, t1; \
	VMULPS       Z16, t1, t2; \
	VRNDSCALEPS  $0, t2, t2; \
	VFNMADD231PS Z17, t2, t1; \
	VFNMADD231PS Z18, t2, t1; \
	VMOVAPS      Z20, t3; \
	VFMADD213PS  Z21, t1, t3; \
	VFMADD213PS  Z22, t1, t3; \
	VFMADD213PS  Z23, t1, t3; \
	VFMADD213PS  Z24, t1, t3; \
	VFMADD213PS  Z25, t1, t3; \
	VMULPS       t1, t1, out; \
	VFMADD213PS  t1, t3, out; \
	VSCALEFPS    t2, Z26, t2; \
	VFMADD213PS  t2, t2, out

// The backward passes: dy[i] *= f'(z[i]) for i < n, with the derivative
// taken from the saved output y[i] = f(z[i]) as in actBackward, operation by
// operation (no fused multiply-adds), so results equal the Go twin's
// exactly. BACKLOOP(body) runs body on Z0 = y and Z1 = dy, 16 lanes
// at a time, and stores Z1; the last, partial vector is under a mask.
#define BACKLOOP(body) \
	MOVQ dy+0(FP), DI; \
	MOVQ y+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	CONSTS; \
backloop: \
	CMPQ CX, $0; \
	JLE  backdone; \
	MOVL $0xffff, AX; \
	CMPQ CX, $16; \
	JGE  backfull; \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
backfull: \
	KMOVW     AX, K2; \
	VMOVUPS.Z (SI), K2, Z0; \
	VMOVUPS.Z (DI), K2, Z1; \
	body; \
	VMOVUPS   Z1, K2, (DI); \
	ADDQ      $64, DI; \
	ADDQ      $64, SI; \
	SUBQ      $16, CX; \
	JMP       backloop; \
backdone: \
	VZEROUPPER; \
	RET

// The bodies: Z1 *= f', from Z0 = y (Z2 scratch).
#define SELUBACK VADDPS Z28, Z0, Z2; VCMPPS $0x1e, Z31, Z0, K1; VMOVAPS Z27, K1, Z2; VMULPS Z2, Z1, Z1
#define SIGMOIDBACK VSUBPS Z0, Z26, Z2; VMULPS Z2, Z0, Z2; VMULPS Z2, Z1, Z1
#define TANHBACK VMULPS Z0, Z0, Z2; VSUBPS Z2, Z26, Z2; VMULPS Z2, Z1, Z1

// func seluAVX512(y *float32, n int)
TEXT ·seluAVX512(SB), NOSPLIT, $0-16
	MOVQ y+0(FP), DI
	MOVQ n+8(FP), CX
	CONSTS

seluloop:
	CMPQ CX, $0
	JLE  seludone
	MOVL $0xffff, AX
	CMPQ CX, $16
	JGE  selufull
	MOVL $1, AX      // tail: mask of the low CX lanes
	SHLL CX, AX
	DECL AX

selufull:
	KMOVW   AX, K2
	VMOVUPS.Z (DI), K2, Z0          // z
	VMINPS  Z0, Z31, Z1             // min(z, 0); NaN stays NaN (MINPS returns its second source)
	EXPM1(Z1, Z2, Z3, Z4, Z5)       // e^min(z,0) - 1
	VMULPS  Z28, Z2, Z2             // scale*alpha*(e^z - 1)
	VCMPPS  $0x1e, Z31, Z0, K1      // K1 = z > 0 (GT_OQ)
	VMULPS  Z27, Z0, K1, Z2         // where z > 0: scale*z
	VMOVUPS Z2, K2, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     seluloop

seludone:
	VZEROUPPER
	RET

// func sigmoidAVX512(y *float32, n int)
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-16
	MOVQ y+0(FP), DI
	MOVQ n+8(FP), CX
	CONSTS

sigloop:
	CMPQ CX, $0
	JLE  sigdone
	MOVL $0xffff, AX
	CMPQ CX, $16
	JGE  sigfull
	MOVL $1, AX
	SHLL CX, AX
	DECL AX

sigfull:
	KMOVW   AX, K2
	VMOVUPS.Z (DI), K2, Z0          // z
	VPORD   Z30, Z0, Z1             // -|z|
	EXP(Z1, Z2, Z3, Z4, Z5)         // e = e^-|z|
	VADDPS  Z26, Z2, Z3             // 1 + e
	VDIVPS  Z3, Z26, Z4             // s = 1/(1+e): sigmoid(|z|)
	VCMPPS  $0x11, Z31, Z0, K1      // K1 = z < 0 (LT_OQ)
	VMULPS  Z2, Z4, K1, Z4          // where z < 0: e/(1+e)
	VMOVUPS Z4, K2, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     sigloop

sigdone:
	VZEROUPPER
	RET

// func tanhAVX512(y *float32, n int)
TEXT ·tanhAVX512(SB), NOSPLIT, $0-16
	MOVQ y+0(FP), DI
	MOVQ n+8(FP), CX
	CONSTS

tanhloop:
	CMPQ CX, $0
	JLE  tanhdone
	MOVL $0xffff, AX
	CMPQ CX, $16
	JGE  tanhfull
	MOVL $1, AX
	SHLL CX, AX
	DECL AX

tanhfull:
	KMOVW   AX, K2
	VMOVUPS.Z (DI), K2, Z0          // z
	VPORD   Z30, Z0, Z1             // -|z|
	VADDPS  Z1, Z1, Z1              // -2|z|
	EXPM1(Z1, Z2, Z3, Z4, Z5)       // t = e^(-2|z|) - 1
	VADDPS  Z29, Z2, Z3             // 2 + t
	VDIVPS  Z3, Z2, Z4              // t/(2+t) = -tanh|z|
	VPANDND Z4, Z30, Z4             // tanh|z| (clear the sign)
	VPANDD  Z30, Z0, Z5             // sign of z
	VPORD   Z5, Z4, Z4              // tanh z
	VMOVUPS Z4, K2, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     tanhloop

tanhdone:
	VZEROUPPER
	RET

// func addBiasAVX512(y *float32, rows int, bias *float32, w int)
//
// y[r*w+j] += bias[j] for r < rows, j < w: addBiasGo with 16 columns per
// vector and the last, partial vector of each row under a mask.
TEXT ·addBiasAVX512(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ bias+16(FP), SI
	MOVQ w+24(FP), R9

row:
	TESTQ R8, R8
	JLE   biasdone
	XORQ  BX, BX // j

cols:
	MOVQ R9, CX
	SUBQ BX, CX      // CX = w - j values left in the row
	JLE  nextrow
	MOVL $0xffff, AX
	CMPQ CX, $16
	JGE  biasfull
	MOVL $1, AX      // tail: mask of the low CX lanes
	SHLL CX, AX
	DECL AX

biasfull:
	KMOVW AX, K2
	VMOVUPS.Z (DI)(BX*4), K2, Z0
	VMOVUPS.Z (SI)(BX*4), K2, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K2, (DI)(BX*4)
	ADDQ $16, BX
	JMP  cols

nextrow:
	LEAQ (DI)(R9*4), DI
	DECQ R8
	JMP  row

biasdone:
	VZEROUPPER
	RET

// func seluBackAVX512(dy, y *float32, n int)
// f' = scale where y > 0, else y + scale*alpha.
TEXT ·seluBackAVX512(SB), NOSPLIT, $0-24
	BACKLOOP(SELUBACK)

// func sigmoidBackAVX512(dy, y *float32, n int)
// f' = y*(1-y).
TEXT ·sigmoidBackAVX512(SB), NOSPLIT, $0-24
	BACKLOOP(SIGMOIDBACK)

// func tanhBackAVX512(dy, y *float32, n int)
// f' = 1 - y*y.
TEXT ·tanhBackAVX512(SB), NOSPLIT, $0-24
	BACKLOOP(TANHBACK)
