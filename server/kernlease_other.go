//go:build !linux

package server

import "errors"

func newKernelLeases(*nodeTable) (*kernelLeases, error) {
	return nil, errors.New("kernel leases (Config.KernelLeases) need Linux")
}

func (k *kernelLeases) take(*open)                 {}
func (k *kernelLeases) forget(*open)               {}
func (k *kernelLeases) beforeWritableOpen(n *node) {}
