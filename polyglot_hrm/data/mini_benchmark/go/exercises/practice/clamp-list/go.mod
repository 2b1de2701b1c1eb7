module clamplist

go 1.18
