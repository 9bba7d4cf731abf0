"""Figures for the course (matplotlib).

One submodule per topic; every public function is re-exported here, so
notebooks write ``from cnnlib import viz; viz.show_images(...)``.
"""
from . import palette
from .palette import PALETTE, set_style
from .images import show_images
from .training import plot_history, show_filters, show_feature_maps
from .conv_diagram import conv_diagram, conv_geometry
from .backprop import plot_kernel_training, plot_loss_curves, show_jacobians, show_number_grids
from .metrics import (plot_confusion_matrix, plot_per_class_metrics, plot_precision_recall,
                      readable_text_color, relative_luminance, show_confident_mistakes,
                      show_confused_pairs)
from .correlation import (filtered_for_display, plot_connections, plot_separable,
                          plot_sliding_window, plot_weight_counts, show_image_row,
                          show_matrices, show_modes)
from .architectures import plot_imagenet_progress, plot_layer_costs
from .milestones import (plot_activation_slopes, plot_dataset_sizes, plot_ilsvrc_winners,
                         show_connection_table)
from .comparisons import (plot_accuracy_against_cost, plot_accuracy_density, plot_layer_norms,
                          plot_loss_surfaces, plot_runs, plot_seed_spread)
