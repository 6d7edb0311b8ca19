module github.com/autoenc/autoenc

go 1.26
