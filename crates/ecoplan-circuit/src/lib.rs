//! Circuit theory (电路理论) for ecological connectivity: Circuitscape.jl 5 and Omniscape.jl semantics.
