module ocp.dev/zkvm

go 1.19
