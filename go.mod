module github.com/gridcast/gridcast

go 1.26.8
