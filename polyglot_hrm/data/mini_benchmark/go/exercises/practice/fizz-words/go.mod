module fizzwords

go 1.18
