#include "textflag.h"

// func cbcMAC128(rk *[240]byte, state *[16]byte, data *byte, n int)
//
// The 11 round keys stay in X1-X11 for the whole loop; each block is
// XORed with the first round key off the critical path (X12), then folded
// into the chaining state X0 and encrypted.
TEXT ·cbcMAC128(SB), NOSPLIT, $0-32
	MOVQ rk+0(FP), AX
	MOVQ state+8(FP), BX
	MOVQ data+16(FP), SI
	MOVQ n+24(FP), CX
	MOVOU 0(AX), X1
	MOVOU 16(AX), X2
	MOVOU 32(AX), X3
	MOVOU 48(AX), X4
	MOVOU 64(AX), X5
	MOVOU 80(AX), X6
	MOVOU 96(AX), X7
	MOVOU 112(AX), X8
	MOVOU 128(AX), X9
	MOVOU 144(AX), X10
	MOVOU 160(AX), X11
	MOVOU (BX), X0

loop:
	CMPQ CX, $16
	JB   done
	MOVOU (SI), X12
	PXOR  X1, X12
	PXOR  X12, X0
	AESENC X2, X0
	AESENC X3, X0
	AESENC X4, X0
	AESENC X5, X0
	AESENC X6, X0
	AESENC X7, X0
	AESENC X8, X0
	AESENC X9, X0
	AESENC X10, X0
	AESENCLAST X11, X0
	ADDQ $16, SI
	SUBQ $16, CX
	JMP  loop

done:
	MOVOU X0, (BX)
	RET

// func cbcMAC256(rk *[240]byte, state *[16]byte, data *byte, n int)
//
// AES-256 has 15 round keys: the first 14 stay in X1-X14, the last is a
// memory operand of AESENCLAST (an L1 load that does not depend on the
// chain, so it adds nothing to the per-block latency); X15 is the
// pre-whitened block.
TEXT ·cbcMAC256(SB), NOSPLIT, $0-32
	MOVQ rk+0(FP), AX
	MOVQ state+8(FP), BX
	MOVQ data+16(FP), SI
	MOVQ n+24(FP), CX
	MOVOU 0(AX), X1
	MOVOU 16(AX), X2
	MOVOU 32(AX), X3
	MOVOU 48(AX), X4
	MOVOU 64(AX), X5
	MOVOU 80(AX), X6
	MOVOU 96(AX), X7
	MOVOU 112(AX), X8
	MOVOU 128(AX), X9
	MOVOU 144(AX), X10
	MOVOU 160(AX), X11
	MOVOU 176(AX), X12
	MOVOU 192(AX), X13
	MOVOU 208(AX), X14
	MOVOU (BX), X0

loop256:
	CMPQ CX, $16
	JB   done256
	MOVOU (SI), X15
	PXOR  X1, X15
	PXOR  X15, X0
	AESENC X2, X0
	AESENC X3, X0
	AESENC X4, X0
	AESENC X5, X0
	AESENC X6, X0
	AESENC X7, X0
	AESENC X8, X0
	AESENC X9, X0
	AESENC X10, X0
	AESENC X11, X0
	AESENC X12, X0
	AESENC X13, X0
	AESENC X14, X0
	AESENCLAST 224(AX), X0
	ADDQ $16, SI
	SUBQ $16, CX
	JMP  loop256

done256:
	MOVOU X0, (BX)
	RET
