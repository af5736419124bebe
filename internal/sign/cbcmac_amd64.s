#include "textflag.h"

// func cbcMAC128(rk *[176]byte, state *[16]byte, data *byte, n int)
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
