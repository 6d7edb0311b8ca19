// Command _asm generates the SGEMM micro-kernels in ../gemm_amd64.s:
//
//	cd internal/kernels/_asm && go run . -out ../gemm_amd64.s -pkg kernels
//
// Each kernel computes one Mr x Nr tile of C,
//
//	C[i*ldc+j] = alpha * sum_{p<k} A[i*rsA+p*csA] * B[p*nr+j] + beta*C[i*ldc+j]
//
// (C not read when beta == 0), keeping the tile in vector registers: per
// step p it loads one row of the packed B micro-panel (Nr floats), and for
// each of the Mr rows broadcasts A[i, p] and multiply-adds it into the
// row's accumulators. A is addressed by strides (rsA, csA), so the kernel
// reads A either packed or straight from a row-major or transposed matrix.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	zmm := []reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
		reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
		reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
		reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31}
	ymm := []reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15}
	kernel("sgemmKernelAVX512", 8, 2, 64, zmm, true)
	kernel("sgemmKernelAVX2", 6, 2, 32, ymm, false)
	Generate()
}

// kernel emits an mr x (nv*vbytes/4) micro-kernel on the vector registers
// regs: accumulators first (mr*nv), then nv for the B row, then one for the
// broadcast A value. zero clears a register (VPXORD for zmm, VXORPS for ymm).
func kernel(name string, mr, nv, vbytes int, regs []reg.VecPhysical, avx512 bool) {
	TEXT(name, NOSPLIT, "func(k int, a *float32, rsA, csA int, b *float32, c *float32, ldc int, alpha, beta float32)")
	Doc(fmt.Sprintf("%s computes a %dx%d tile of C (see sgemmKernelGo for the loop it implements).", name, mr, nv*vbytes/4))
	acc := func(i, v int) reg.VecPhysical { return regs[i*nv+v] }
	bv := func(v int) reg.VecPhysical { return regs[mr*nv+v] }
	bc := regs[mr*nv+nv]
	clearReg := func(r reg.VecPhysical) {
		if avx512 {
			VPXORD(r, r, r)
		} else {
			VXORPS(r, r, r)
		}
	}

	k := Load(Param("k"), GP64())
	pa := Load(Param("a"), GP64())
	rs := Load(Param("rsA"), GP64())
	cs := Load(Param("csA"), GP64())
	pb := Load(Param("b"), GP64())
	Comment("Strides in bytes; rows 0-3 of A are pa + {0,1,2,3}*rs, rows 4-7 pa2 + the same.")
	SHLQ(U8(2), rs)
	SHLQ(U8(2), cs)
	rs3 := GP64()
	LEAQ(Mem{Base: rs, Index: rs, Scale: 2}, rs3)
	pa2 := GP64()
	if mr > 3 {
		LEAQ(Mem{Base: pa, Index: rs, Scale: 4}, pa2)
		if mr <= 6 {
			Comment("With 6 rows, rows 3-5 are pa2 + {0,1,2}*rs where pa2 = pa + 3*rs.")
			LEAQ(Mem{Base: pa, Index: rs3, Scale: 1}, pa2)
		}
	}
	rowAddr := func(i int) Mem {
		base, j := pa, i
		if mr <= 6 && i >= 3 {
			base, j = pa2, i-3
		} else if mr > 6 && i >= 4 {
			base, j = pa2, i-4
		}
		switch j {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: rs, Scale: 1}
		case 2:
			return Mem{Base: base, Index: rs, Scale: 2}
		default:
			return Mem{Base: base, Index: rs3, Scale: 1}
		}
	}

	Comment("Clear the accumulators.")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			clearReg(acc(i, v))
		}
	}
	TESTQ(k, k)
	JZ(LabelRef(name + "_store"))

	Label(name + "_loop")
	Comment("Load row p of the B micro-panel.")
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: pb, Disp: v * vbytes}, bv(v))
	}
	Comment("For each row i: broadcast A[i,p], multiply-add into row i of the tile.")
	for i := 0; i < mr; i++ {
		VBROADCASTSS(rowAddr(i), bc)
		for v := 0; v < nv; v++ {
			VFMADD231PS(bv(v), bc, acc(i, v))
		}
	}
	Comment("Step to column p+1 of A and row p+1 of B.")
	ADDQ(cs, pa)
	if mr > 3 {
		ADDQ(cs, pa2)
	}
	ADDQ(U32(nv*vbytes), pb)
	DECQ(k)
	JNZ(LabelRef(name + "_loop"))

	Label(name + "_store")
	pc := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	alpha, beta := bv(0), bv(1)
	VBROADCASTSS(paramAddr("alpha"), alpha)
	Comment("beta == 0 (either sign): do not read C.")
	bbits := GP32()
	MOVL(paramAddr("beta"), bbits)
	SHLL(U8(1), bbits)
	JZ(LabelRef(name + "_nobeta"))
	VBROADCASTSS(paramAddr("beta"), beta)
	Comment("C = alpha*T + beta*C, row by row.")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMULPS(alpha, acc(i, v), acc(i, v))
			VFMADD231PS(Mem{Base: pc, Disp: v * vbytes}, beta, acc(i, v))
			VMOVUPS(acc(i, v), Mem{Base: pc, Disp: v * vbytes})
		}
		if i < mr-1 {
			ADDQ(ldc, pc)
		}
	}
	VZEROUPPER()
	RET()

	Label(name + "_nobeta")
	Comment("C = alpha*T, row by row.")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMULPS(alpha, acc(i, v), acc(i, v))
			VMOVUPS(acc(i, v), Mem{Base: pc, Disp: v * vbytes})
		}
		if i < mr-1 {
			ADDQ(ldc, pc)
		}
	}
	VZEROUPPER()
	RET()
}

// paramAddr is the frame address of a scalar argument.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}
