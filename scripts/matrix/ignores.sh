# SPDX-License-Identifier: GPL-2.0
#
# The ONE place where make static ignores checker findings. Each entry says
# why; the rule is that only backward compatibility (the module builds from
# one source on 5.10 .. 7.x) or a checker's false positive on userspace or
# Xen ABI code justifies an ignore. Everything else is fixed in the code.
# Sourced by scripts/matrix/static.sh.

# checkpatch.pl (7.2) types ignored in every file:
CHECKPATCH_IGNORE_ALL=(
	# 7.x suggests kzalloc_obj()/kmalloc_obj(); they do not exist before
	# 7.0 and the module builds on 5.10.
	ALLOC_WITH_SIZEOF
)

# checkpatch.pl types ignored in some files (glob => comma-separated types):
declare -A CHECKPATCH_IGNORE_FILE=(
	# The compat header is the one place that tests LINUX_VERSION_CODE
	# (Documentation/build.md, style.md); checkpatch also reads
	# "LINUX_VERSION_CODE >= KERNEL_VERSION(..)" as a constant on the left.
	["drivers/xen/privcmd-eventfd/compat.h"]="LINUX_VERSION_CODE,CONSTANT_COMPARISON"
	# Stand-in for Linux 6.7+'s include/xen/interface/hvm/ioreq.h on 5.10
	# and 6.1 (same include guard): it mirrors Xen's public ABI like every
	# header in include/xen/interface/, with uint*_t types.
	["include/xen/interface/*"]="PREFER_KERNEL_TYPES"
	# Userspace (selftests, scripts/matrix/*.c): PRIu64, _Static_assert
	# are C99/C11 names, not CamelCase of ours; __printf() is a kernel
	# macro that userspace does not have.
	["tools/*"]="CAMELCASE,PREFER_DEFINED_ATTRIBUTE_MACRO"
	["scripts/*"]="CAMELCASE,PREFER_DEFINED_ATTRIBUTE_MACRO"
)

# coccicheck (7.2 scripts/coccinelle) reports ignored (extended regexes
# matched against "./FILE:LINE:COL: message"):
COCCI_IGNORE=(
	# str_yes_no() and friends (<linux/string_choices.h>) are not in 5.10.
	": opportunity for str_[a-z_]+\\("
)
