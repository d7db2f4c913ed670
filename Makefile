# nerkit build. `make` builds the libraries and programs; `make test` runs
# every test; `make asan` runs them again under AddressSanitizer + UBSan.

CC       ?= cc
NER_DATA ?= ../shared/data
export NER_DATA

OPT     ?= -O2
# a popcount instruction for the weight index (every x86-64 since 2008)
ARCH    ?= $(if $(filter x86_64,$(shell uname -m)),-mpopcnt)
CFLAGS  := $(OPT) $(ARCH) -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           -Iinclude -fPIC
LDLIBS  := -lz -lm -lpthread

# Object files go to $(B), programs to $(BIN): the sanitizer build uses
# its own pair so the two never mix.
B       ?= build
BIN     ?= bin
LIB_SRC := $(wildcard src/*.c) $(filter-out train/nerkit-train.c,$(wildcard train/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
PROGS   := $(BIN)/nerkit-train $(BIN)/nerkit-tag $(BIN)/nerkit-eval $(BIN)/nerkit-bench \
           $(BIN)/tokenizer_agreement
TESTS   := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))
HEADERS := include/nerkit.h src/internal.h train/trainer.h
SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

.PHONY: all deps build test check asan model demo bench clean
all:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory build

build: $(PROGS) lib/libnerkit.a lib/libnerkit.so

# Installs missing build packages (Debian's apt-get) when needed.
deps:
	@sh tests/deps.sh

$(B)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libnerkit.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
lib/libnerkit.a: $(B)/libnerkit.a
	@mkdir -p lib && cp $< $@
lib/libnerkit.so: $(LIB_OBJ)
	@mkdir -p lib
	$(CC) $(CFLAGS) -shared -o $@ $^ $(LDLIBS)

$(BIN)/nerkit-train: $(B)/train/nerkit-train.o $(B)/libnerkit.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/tokenizer_agreement: $(B)/bench/tokenizer_agreement.o $(B)/libnerkit.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/%: $(B)/cli/%.o $(B)/libnerkit.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/%.c $(B)/libnerkit.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libnerkit.a -lcmocka $(LDLIBS)

# Unit tests (cmocka), then the end-to-end scripts, which use the programs.
test:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory check

check: $(PROGS) $(TESTS)
	@sh tests/run.sh $(B) $(BIN)

asan:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory B=build-asan BIN=build-asan/bin OPT="$(SAN)" check

# The default English model: CoNLL-2003 train, dev for choosing the epoch.
model: $(BIN)/nerkit-train
	$(BIN)/nerkit-train -t $(NER_DATA)/conll2003/train.txt -d $(NER_DATA)/conll2003/dev.txt \
	    -o models/en-conll03.nerkit

demo: all
	$(BIN)/nerkit-tag -m models/en-conll03.nerkit -o inline data/sample.txt

# Tagging speed: CoNLL-2003 dev x 20 through -i conll (median of 5 runs,
# peak memory), then raw gzip text stage by stage and thread by thread.
bench: all
	BIN=$(BIN) bash bench/tag-conll.sh
	BIN=$(BIN) bash bench/tag-text.sh

clean:
	rm -rf build build-asan bin lib
