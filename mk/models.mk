# AWS service models from botocore's data folder, embedded into fgrun
# (tools/gen_models.py; runtime/model.c reads them). Override the source
# with `make BOTOCORE_DATA=/path/to/botocore/data`.
BOTOCORE_DATA ?=
GEN_SRCS += $(B)/gen/models_data.c

$(B)/gen/models_data.c: tools/gen_models.py
	@mkdir -p $(@D)
	python3 tools/gen_models.py $(if $(BOTOCORE_DATA),--data "$(BOTOCORE_DATA)") $@
