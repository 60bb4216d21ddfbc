# bash completion for sealcat
