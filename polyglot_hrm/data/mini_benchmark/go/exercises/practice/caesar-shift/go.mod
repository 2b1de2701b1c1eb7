module caesarshift

go 1.18
