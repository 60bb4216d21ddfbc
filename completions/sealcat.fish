# fish completion for sealcat
