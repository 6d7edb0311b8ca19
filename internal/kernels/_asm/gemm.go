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
	transpose16(zmm)
	Generate()
}

// kernel emits an mr x (nv*vbytes/4) micro-kernel on the vector registers
// regs: accumulators first (mr*nv), then nv for the B row, then one for the
// broadcast A value. zero clears a register (VPXORD for zmm, VXORPS for ymm).
func kernel(name string, mr, nv, vbytes int, regs []reg.VecPhysical, avx512 bool) {
	sig := "func(k int, a *float32, rsA, csA int, b *float32, c *float32, ldc int, alpha, beta float32)"
	if avx512 {
		// The AVX-512 kernels also store partial tiles: rows i < m, and
		// columns j where bit j of mask is set.
		// B may be read in place: row p of it at b + p*ldb (zero-masked
		// past the mask's columns).
		sig = "func(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, m int, mask uint32)"
	}
	TEXT(name, NOSPLIT, sig)
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
	var ldb reg.Register
	var maskArg reg.Register
	if avx512 {
		ldb = Load(Param("ldb"), GP64())
		SHLQ(U8(2), ldb)
		maskArg = loadMasks(nv)
	}
	Comment("Strides in bytes; rows of A are addressed from a base every 3 or 4 rows.")
	SHLQ(U8(2), rs)
	SHLQ(U8(2), cs)
	rs3 := GP64()
	LEAQ(Mem{Base: rs, Index: rs, Scale: 2}, rs3)
	// bases[g] addresses rows per*g .. per*g+per-1 of A.
	per := 4
	if mr <= 6 {
		per = 3
	}
	bases := []reg.Register{pa}
	for g := 1; g*per < mr; g++ {
		r := GP64()
		if per == 3 {
			LEAQ(Mem{Base: bases[g-1], Index: rs3, Scale: 1}, r)
		} else {
			LEAQ(Mem{Base: bases[g-1], Index: rs, Scale: 4}, r)
		}
		bases = append(bases, r)
	}
	rowAddr := func(i int) Mem {
		base, j := bases[i/per], i%per
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

	// loop emits the k-loop under label over the first nvUsed vectors of
	// each row; with masked set, B's row is read under the column masks
	// (a partial tile).
	loop := func(label string, masked bool, nvUsed int) {
		Label(label)
		Comment("Load row p of the B micro-panel.")
		for v := 0; v < nvUsed; v++ {
			if masked {
				VMOVUPS_Z(Mem{Base: pb, Disp: v * vbytes}, opmasks[v], bv(v))
			} else {
				VMOVUPS(Mem{Base: pb, Disp: v * vbytes}, bv(v))
			}
		}
		Comment("For each row i: broadcast A[i,p], multiply-add into row i of the tile.")
		fmaRows(mr, nvUsed, 0, rowAddr, acc, bv, bc)
		Comment("Step to column p+1 of A and row p+1 of B.")
		for _, r := range bases {
			ADDQ(cs, r)
		}
		if avx512 {
			ADDQ(ldb, pb)
		} else {
			ADDQ(U32(nv*vbytes), pb)
		}
		DECQ(k)
		JNZ(LabelRef(label))
	}
	if avx512 {
		// Masked loads cost a port-0/5 uop each, taken from the FMAs:
		// whole-width tiles (most) run a loop with plain loads, 174 against
		// 185 GFLOP/s for the kernel alone in L1.
		// Tiles at most 16 wide (narrow products, the last panel of
		// n = 100) skip the second vector of each row: half the FMAs.
		Comment("All columns: the loop with plain loads of B.")
		CMPL(maskArg, U32(0xffffffff))
		JEQ(LabelRef(name + "_full"))
		Comment("At most 16 columns: only the first vector of each row.")
		TESTL(U32(0xffff0000), maskArg)
		JZ(LabelRef(name + "_halfloop"))
		loop(name+"_loop", true, nv)
		JMP(LabelRef(name + "_store"))
		loop(name+"_halfloop", true, 1)
		JMP(LabelRef(name + "_store"))
		Label(name + "_full")
		unrolled(name, mr, nv, vbytes, k, cs, pb, ldb, bases, rowAddr, acc, bv, bc)
		loop(name+"_fullloop", false, nv)
	} else {
		loop(name+"_loop", false, nv)
	}

	Label(name + "_store")
	if avx512 {
		storeMasked(name, mr, nv, vbytes, regs)
		return
	}
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

// unrolled emits, for whole tiles with A contiguous along k (csA == 1, the
// products whose A is not transposed), a k-loop unrolled 4 times: A's
// steps are displacements and B's rows are indexed by ldb, so 4 steps
// cost 3 pointer updates and one branch instead of 12 and 4. Those scalar
// instructions compete with the FMAs for ports 0 and 5. It leaves k mod 4
// steps (and all of them for other strides) to the loop after it.
func unrolled(name string, mr, nv, vbytes int, k, cs, pb, ldb reg.Register, bases []reg.Register,
	rowAddr func(i int) Mem, acc func(i, v int) reg.VecPhysical, bv func(v int) reg.VecPhysical, bc reg.VecPhysical) {
	Comment("A contiguous along k and 4 or more steps: the loop unrolled 4 times.")
	CMPQ(cs, U8(4))
	JNE(LabelRef(name + "_fullloop"))
	k4 := GP64()
	MOVQ(k, k4)
	SHRQ(U8(2), k4)
	JZ(LabelRef(name + "_fullloop"))
	ANDQ(U8(3), k)
	ldb3, ldb4 := GP64(), GP64()
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)
	MOVQ(ldb, ldb4)
	SHLQ(U8(2), ldb4)
	Label(name + "_loop4")
	for q := 0; q < 4; q++ {
		row := Mem{Base: pb}
		switch q {
		case 1:
			row = Mem{Base: pb, Index: ldb, Scale: 1}
		case 2:
			row = Mem{Base: pb, Index: ldb, Scale: 2}
		case 3:
			row = Mem{Base: pb, Index: ldb3, Scale: 1}
		}
		for v := 0; v < nv; v++ {
			r := row
			r.Disp = v * vbytes
			VMOVUPS(r, bv(v))
		}
		fmaRows(mr, nv, 4*q, rowAddr, acc, bv, bc)
	}
	for _, r := range bases {
		ADDQ(U8(16), r)
	}
	ADDQ(ldb4, pb)
	DECQ(k4)
	JNZ(LabelRef(name + "_loop4"))
	TESTQ(k, k)
	JZ(LabelRef(name + "_store"))
}

// fmaRows emits one k step's multiply-adds: for each row i, broadcast
// A[i, p] (at rowAddr(i) plus disp bytes) and add its products with the nv
// B vectors into row i's accumulators.
func fmaRows(mr, nv, disp int, rowAddr func(i int) Mem, acc func(i, v int) reg.VecPhysical,
	bv func(v int) reg.VecPhysical, bc reg.VecPhysical) {
	for i := 0; i < mr; i++ {
		a := rowAddr(i)
		a.Disp += disp
		VBROADCASTSS(a, bc)
		for v := 0; v < nv; v++ {
			VFMADD231PS(bv(v), bc, acc(i, v))
		}
	}
}

// paramAddr is the frame address of a scalar argument.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// storeMasked is the AVX-512 epilogue: C = alpha*T + beta*C on rows i < m
// and the columns selected by mask (K1 for the first 16, K2 for the next).
func storeMasked(name string, mr, nv, vbytes int, regs []reg.VecPhysical) {
	acc := func(i, v int) reg.VecPhysical { return regs[i*nv+v] }
	alpha, beta, cv := regs[mr*nv], regs[mr*nv+1], regs[mr*nv+2]
	masks := opmasks
	pc := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	rows := Load(Param("m"), GP64())
	SHLQ(U8(2), ldc)
	VBROADCASTSS(paramAddr("alpha"), alpha)
	Comment("beta == 0 (either sign): do not read C.")
	bbits := GP32()
	MOVL(paramAddr("beta"), bbits)
	SHLL(U8(1), bbits)
	JZ(LabelRef(name + "_nobeta"))
	VBROADCASTSS(paramAddr("beta"), beta)
	Comment("C = alpha*T + beta*C, row by row, for rows < m.")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMOVUPS_Z(Mem{Base: pc, Disp: v * vbytes}, masks[v], cv)
			VMULPS(alpha, acc(i, v), acc(i, v))
			VFMADD231PS(cv, beta, acc(i, v))
			VMOVUPS(acc(i, v), masks[v], Mem{Base: pc, Disp: v * vbytes})
		}
		if i < mr-1 {
			ADDQ(ldc, pc)
			DECQ(rows)
			JZ(LabelRef(name + "_done"))
		}
	}
	JMP(LabelRef(name + "_done"))

	Label(name + "_nobeta")
	Comment("C = alpha*T, row by row, for rows < m.")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMULPS(alpha, acc(i, v), acc(i, v))
			VMOVUPS(acc(i, v), masks[v], Mem{Base: pc, Disp: v * vbytes})
		}
		if i < mr-1 {
			ADDQ(ldc, pc)
			DECQ(rows)
			JZ(LabelRef(name + "_done"))
		}
	}
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// opmasks select columns 0-15 and 16-31 of a tile.
var opmasks = []reg.OpmaskPhysical{reg.K1, reg.K2}

// loadMasks sets K1, K2 from the mask argument and returns a register
// holding the whole mask.
func loadMasks(nv int) reg.Register {
	mask := Load(Param("mask"), GP32())
	whole := GP32()
	MOVL(mask, whole)
	Comment("K1, K2: columns 0-15 and 16-31 of B to read and of C to store.")
	KMOVW(mask, opmasks[0])
	if nv > 1 {
		SHRL(U8(16), mask)
		KMOVW(mask, opmasks[1])
	}
	return whole
}

// transpose16 emits transpose16x16AVX512: dst[p*ldd+j] = src[j*lds+p] for
// p, j < 16, in four rounds of shuffles on 16 zmm rows (unpack pairs of
// floats, shuffle pairs of pairs, then two rounds on 128-bit lanes).
func transpose16(zmm []reg.VecPhysical) {
	TEXT("transpose16x16AVX512", NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int)")
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), ldd)
	SHLQ(U8(2), lds)
	r, t := zmm[:16], zmm[16:]
	Comment("r[j] = row j of src (16 floats).")
	for j := 0; j < 16; j++ {
		VMOVUPS(Mem{Base: src}, r[j])
		if j < 15 {
			ADDQ(lds, src)
		}
	}
	Comment("Round 1: t[2i], t[2i+1] interleave rows 2i and 2i+1 (low and high pairs of each lane).")
	for i := 0; i < 8; i++ {
		VUNPCKLPS(r[2*i+1], r[2*i], t[2*i])
		VUNPCKHPS(r[2*i+1], r[2*i], t[2*i+1])
	}
	Comment("Round 2: u[4g+q] lane L = rows 4g..4g+3 at column 4L+q.")
	u := r
	for g := 0; g < 4; g++ {
		VSHUFPS(U8(0x44), t[4*g+2], t[4*g], u[4*g])
		VSHUFPS(U8(0xEE), t[4*g+2], t[4*g], u[4*g+1])
		VSHUFPS(U8(0x44), t[4*g+3], t[4*g+1], u[4*g+2])
		VSHUFPS(U8(0xEE), t[4*g+3], t[4*g+1], u[4*g+3])
	}
	Comment("Rounds 3 and 4: for each q, a 4x4 transpose of 128-bit lanes; out row 4L+q.")
	for q := 0; q < 4; q++ {
		v := func(g int) reg.VecPhysical { return u[4*g+q] }
		w := t[4*q : 4*q+4]
		VSHUFF32X4(U8(0x88), v(1), v(0), w[0])
		VSHUFF32X4(U8(0xDD), v(1), v(0), w[1])
		VSHUFF32X4(U8(0x88), v(3), v(2), w[2])
		VSHUFF32X4(U8(0xDD), v(3), v(2), w[3])
	}
	for q := 0; q < 4; q++ {
		w := t[4*q : 4*q+4]
		out := func(L int) reg.VecPhysical { return u[4*L+q] }
		VSHUFF32X4(U8(0x88), w[2], w[0], out(0))
		VSHUFF32X4(U8(0x88), w[3], w[1], out(1))
		VSHUFF32X4(U8(0xDD), w[2], w[0], out(2))
		VSHUFF32X4(U8(0xDD), w[3], w[1], out(3))
	}
	Comment("Store row p = 4L+q, held in u[p].")
	for p := 0; p < 16; p++ {
		VMOVUPS(u[p], Mem{Base: dst})
		if p < 15 {
			ADDQ(ldd, dst)
		}
	}
	VZEROUPPER()
	RET()
}
