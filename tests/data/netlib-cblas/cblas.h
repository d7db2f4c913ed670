/* Stands for a BLAS's cblas.h that is not OpenBLAS's (netlib's
 * libblas-dev installs one): tests/e2e_deps.sh puts this folder on CPATH,
 * and the build must still find OpenBLAS's header first. */
#error "a cblas.h other than OpenBLAS's was used"
