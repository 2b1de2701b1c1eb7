module tallywords

go 1.18
