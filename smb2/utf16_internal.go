package smb2

import "unicode/utf16"

func utf16Decode(u []uint16) []rune { return utf16.Decode(u) }
