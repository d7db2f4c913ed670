/*
 * OpenBLAS's cblas.h, and no other: netlib's libblas-dev installs a
 * cblas.h too, without blasint and OpenBLAS's thread controls, and a
 * machine may have both. The Makefile puts the folder that
 * `pkg-config --cflags openblas` names ahead of the system's.
 */
#ifndef NERKIT_BLAS_H
#define NERKIT_BLAS_H

#include <cblas.h>

#ifndef OPENBLAS_VERSION
#error "the cblas.h found is not OpenBLAS's: build with $(pkg-config --cflags openblas) first"
#endif

#endif
