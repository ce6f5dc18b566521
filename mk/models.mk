# AWS service models: the pinned copies in models/ are embedded into fgrun
# (tools/gen_models.py; runtime/aws/models.c reads them). The build never reads
# the machine's botocore; `make update-models BOTOCORE_DATA=/path/to/botocore/data`
# refreshes models/ from one (tools/update_models.py).
MODEL_FILES := $(sort $(wildcard models/*/*.json))
GEN_SRCS += $(B)/gen/models_data.c

$(B)/gen/models_data.c: tools/gen_models.py $(MODEL_FILES)
	@mkdir -p $(@D)
	python3 tools/gen_models.py models $@

BOTOCORE_DATA ?= $(shell python3 -c 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))' 2>/dev/null)
update-models:
	@test -n "$(BOTOCORE_DATA)" || { echo "update-models: set BOTOCORE_DATA=/path/to/botocore/data" >&2; exit 2; }
	python3 tools/update_models.py "$(BOTOCORE_DATA)" models

.PHONY: update-models
